// Included inside edge_unit (block g_param_checks) when EDGE_UNIT_SVA is
// defined: instantiates the handshake assertions (edge_unit_sva.sv) on the
// unit's ports and stage valid vector. This is what `bind edge_unit ...`
// would do; Yosys 0.23 accepts bind but drops the bound instance without a
// word, which would make the formal proof vacuous (docs/edge-unit.md §9).
edge_unit_sva #(.LATENCY(LATENCY), .TAG_W(TAG_W), .ACC_W(ACC_W), .REG_W(REG_W)) u_sva (
  .clk(clk), .rst_n(rst_n), .in_valid(in_valid), .in_ready(in_ready), .out_valid(out_valid),
  .out_ready(out_ready), .out_op(out_op), .out_tag(out_tag), .out_acc(out_acc), .out_reg(out_reg),
  .out_acc_wrapped(out_acc_wrapped), .out_saturated(out_saturated), .out_lost(out_lost), .vld(vld));
`ifdef EDGE_UNIT_FORMAL
// The formal harness's tag invariants need the tag of every stage, output
// last; list one per stage (edge_unit_formal_tags checks the count against
// LATENCY, so a stage added without its tag here fails to elaborate).
edge_unit_formal_tags #(.LATENCY(LATENCY), .TAG_W(TAG_W), .N_TAGS(5)) u_formal_tags (
  .clk(clk), .rst_n(rst_n), .in_valid(in_valid), .in_ready(in_ready), .in_tag(in_tag),
  .out_valid(out_valid), .out_ready(out_ready), .vld(vld), .stage_tags({out_tag, s4_tag, s3_tag, s2_tag, s1_tag}));
`endif
