`timescale 1ns/1ps
// edge_unit_formal_tags: in-order delivery of the tags, for the formal
// harness only (attached inside edge_unit by rtl/edge_unit_sva_attach.svh
// when EDGE_UNIT_FORMAL is defined).
//
// Environment: the tags of accepted requests count up 0, 1, 2, ... (mod
// 2^TAG_W). Property P6: the delivered tags count up the same way, so every
// request comes out once, in order, with its own tag. The induction needs the
// tag of every stage (stage_tags, stage k at [k*TAG_W +: TAG_W], the output
// register last): a blocked pipeline can hold any unreachable tag for any
// number of cycles, which no induction depth excludes. I1, I2 state what the
// reachable states look like.
module edge_unit_formal_tags #(
  parameter int LATENCY = 4,
  parameter int TAG_W = 8,
  parameter int N_TAGS = 4
) (
  input logic                      clk,
  input logic                      rst_n,
  input logic                      in_valid,
  input logic                      in_ready,
  input logic [TAG_W-1:0]          in_tag,
  input logic                      out_valid,
  input logic                      out_ready,
  input logic [LATENCY-1:0]        vld,
  input logic [N_TAGS*TAG_W-1:0]   stage_tags
);
  if (N_TAGS != LATENCY) begin : g_tag_count
    $error("edge_unit_formal_tags: N_TAGS must equal LATENCY (list every stage's tag in edge_unit_sva_attach.svh)");
  end

  logic armed = 1'b0;
  logic [TAG_W-1:0] next_in;    // tag of the next accepted request
  logic [TAG_W-1:0] next_out;   // tag the next delivered result must carry
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      armed <= 1'b1;
      next_in <= '0;
      next_out <= '0;
    end else begin
      if (in_valid && in_ready) next_in <= next_in + 1'b1;
      if (out_valid && out_ready) next_out <= next_out + 1'b1;
    end
  end

  always_comb begin
    if (in_valid) a_tags_count_up: assume (in_tag == next_in);
  end

  // Tag stage k must carry: next_out plus the number of full stages after it.
  function automatic logic [TAG_W-1:0] tag_due(input logic [TAG_W-1:0] base, input logic [LATENCY-1:0] v,
                                               input int k);
    logic [TAG_W-1:0] t;
    t = base;
    for (int j = k + 1; j < LATENCY; j++) t = t + TAG_W'(v[j]);
    tag_due = t;
  endfunction

  always_ff @(posedge clk) begin
    if (armed) begin
      // P6 results carry the tags in the order they were accepted.
      if (out_valid) p6_tags_in_order: assert (stage_tags[(LATENCY-1)*TAG_W +: TAG_W] == next_out);
`ifndef EDGE_UNIT_FORMAL_NO_INVARIANTS   // (defined only to show the induction fails without them)
      // I2 the tags handed out and those delivered differ by the stages in use.
      i2_tags_in_flight: assert (next_in == tag_due(next_out, vld, -1));
`endif
    end
  end

  // I1 every full stage holds the tag due at its place in the queue (no label:
  // Yosys 0.23 gives a label in a generate loop the same name in every copy).
`ifndef EDGE_UNIT_FORMAL_NO_INVARIANTS
  for (genvar k = 0; k < LATENCY - 1; k++) begin : g_i1
    always_ff @(posedge clk) begin
      if (armed && vld[k]) assert (stage_tags[k*TAG_W +: TAG_W] == tag_due(next_out, vld, k));
    end
  end
`endif
endmodule
