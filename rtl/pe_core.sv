`timescale 1ns/1ps
// pe_core: the datapath of an edge processing element, the one the mesh's
// timing model annotates (docs/architecture.md "Timing", docs/edge-unit.md
// "The processing element"). LANES lanes; one command is one chunk of one
// phase of one tile:
//
//   cmd_op  phase     outputs x terms                       lane work per term
//   0 FWD   forward   rows*n chains (s, i) x cols           acc += w(i, j) * a(s, j), start b(i) << sb
//   1 BWD   backward  cols*n chains (s, j) x rows           acc += w(i, j) * u(s, i)
//   2 HEB   Hebbian   rows*cols chains (j, i) x batch       acc += u(s, i) * a(s, j); the first
//                                                           cmd_hsum chains also sum u(s, i): h(i)
//   3 UPD   update    writes x 1                            the edge unit's UPD_W / UPD_B
//   4 MERGE merge     values x inputs                       acc += passing sum, start own sum
//
// The sequencer (pe_chunk_seq.sv) deals the outputs to the lanes in rounds
// and issues one term per lane per cycle; it puts each term's operand address
// on the read port (rd_*), and the operands come back on d_* after the read
// latency: SRAM_LAT cycles when cmd_sram (weights, biases and Hebbian sums
// live in the PE's SRAM), 0 otherwise (the activation, residual and passing-sum
// buffers). The MAC lanes (pe_mac_lane.sv) hold their accumulators, so a chunk
// of `outputs` chains of `terms` terms takes exactly
//     lat + ceil(outputs / LANES) * terms + MAC_PIPELINE        cycles (UPD: + the edge unit's LATENCY)
// from the cycle after the command is accepted to the cycle `done` is high,
// both included. Writes go through LANES edge units (edge_unit.sv, the
// rounding, overflow and stochastic-rounding path), one write per lane and cycle.
//
// Results appear on res_* in the cycle they are ready (no back-pressure: the
// PE's output buffer takes them). For UPD, lane l's k-th result is write
// k * LANES + l (res_index says so).
module pe_core #(
  parameter int S_I = 4,  parameter int S_F = 12,
  parameter int W_I = 4,  parameter int W_F = 12,
  parameter int B_I = 4,  parameter int B_F = 12,
  parameter int R_I = 4,  parameter int R_F = 12,
  parameter int C_I = 1,  parameter int C_F = 31,
  parameter int ACC_W = 48,
  parameter int QUANT = 6,
  parameter int OVF = 2,
  parameter int STEP_W = 32,
  parameter int IDX_W = 16,
  parameter int TAG_W = 8,
  parameter int LANES = 4,
  parameter int SRAM_LAT = 1,
  parameter int GUARD_W = 16,
  parameter int CNT_W = 24,
  localparam int WS = S_I + S_F,
  localparam int WW = W_I + W_F,
  localparam int WB = B_I + B_F,
  localparam int WR = R_I + R_F,
  localparam int WC = C_I + C_F,
  localparam int XW = (WW > WR) ? WW : WR,
  localparam int YW = (WS > WR) ? WS : WR,
  localparam int REG_W = (WW > WB) ? WW : WB
) (
  input  logic                          clk,
  input  logic                          rst_n,
  // command
  input  logic                          cmd_valid,
  output logic                          cmd_ready,
  input  logic [2:0]                    cmd_op,
  input  logic [CNT_W-1:0]              cmd_outputs,   // >= 1
  input  logic [CNT_W-1:0]              cmd_terms,     // >= 1 (UPD: 1)
  input  logic                          cmd_bias,      // FWD: chains start at b << sb
  input  logic [CNT_W-1:0]              cmd_hsum,      // HEB: chains 0..cmd_hsum-1 also give h(i)
  input  logic                          cmd_sram,      // operands from the SRAM (read latency SRAM_LAT)
  input  logic [7:0]                    cmd_layer,     // UPD: the layer (stochastic-rounding site)
  // step constants of the writes
  input  logic [2:0]                    cfg_quant,
  input  logic                          cfg_ovf,
  input  logic signed [WC-1:0]          cfg_eta,
  input  logic [63:0]                   cfg_seed,
  input  logic [STEP_W-1:0]             cfg_step,
  // operand read port: lane l reads the operands of output rd_base + l, term rd_term
  output logic                          rd_valid,
  output logic [CNT_W-1:0]              rd_base,
  output logic [CNT_W-1:0]              rd_term,
  output logic [LANES-1:0]              rd_lane_valid,
  // operands, read latency later: lane l's field of an X-bit port is bits [l*X +: X]
  // (flat vectors: Yosys 0.23 has no packed 2-D ports)
  input  logic [LANES*XW-1:0]           d_x,        // w (FWD, BWD, UPD_W), u (HEB)
  input  logic [LANES*YW-1:0]           d_y,        // a (FWD, HEB), u (BWD)
  input  logic [LANES*WB-1:0]           d_bias,     // b (FWD start, UPD_B)
  input  logic [LANES*ACC_W-1:0]        d_wide,     // passing sum (MERGE), H or h (UPD)
  input  logic [LANES*ACC_W-1:0]        d_init,     // own partial sum (MERGE start)
  input  logic [LANES-1:0]              d_upd_bias, // UPD: a bias write
  input  logic [LANES*IDX_W-1:0]        d_row,      // UPD: global row and column (hash site)
  input  logic [LANES*IDX_W-1:0]        d_col,
  // results
  output logic [LANES-1:0]              res_valid,
  output logic [LANES*CNT_W-1:0]        res_index,
  output logic [LANES*ACC_W-1:0]        res_sum,
  output logic [LANES-1:0]              res_wrapped,
  output logic [LANES*ACC_W-1:0]        res_hsum,
  output logic [LANES-1:0]              res_hwrapped,
  output logic [LANES*REG_W-1:0]        res_reg,
  output logic [LANES-1:0]              res_saturated,
  output logic [LANES-1:0]              res_lost,
  output logic                          done
);
  localparam logic [2:0] OP_FWD = 3'd0, OP_HEB = 3'd2, OP_UPD = 3'd3, OP_MERGE = 3'd4;
  localparam int SB = W_F + S_F - B_F;   // the bias's alignment to a forward product
  localparam int DL = (SRAM_LAT > 0) ? SRAM_LAT : 1;

  // ---------------------------------------------------------------- command
  logic active;                       // a command is in flight
  logic [2:0] op;
  logic bias, sram;
  logic [CNT_W-1:0] n_outputs, n_hsum, n_done;
  logic [7:0] layer;
  logic start;

  assign cmd_ready = !active || done;
  assign start = cmd_valid && cmd_ready;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      active <= 1'b0;
    end else if (start) begin
      active <= 1'b1;
    end else if (done) begin
      active <= 1'b0;
    end
  end
  always_ff @(posedge clk) begin
    if (start) begin
      op <= cmd_op;
      bias <= cmd_bias;
      sram <= cmd_sram;
      n_outputs <= cmd_outputs;
      n_hsum <= cmd_hsum;
      layer <= cmd_layer;
    end
  end

  // -------------------------------------------------------------- sequencer
  logic issue, first, last;
  logic [CNT_W-1:0] base, term;
  logic [LANES-1:0] lane_valid;
  pe_chunk_seq #(.LANES(LANES), .CNT_W(CNT_W)) u_seq (
    .clk, .rst_n, .start, .outputs(cmd_outputs), .terms(cmd_terms), .busy(issue),
    .base, .term, .first, .last, .lane_valid);

  assign rd_valid = issue;
  assign rd_base = base;
  assign rd_term = term;
  assign rd_lane_valid = lane_valid;

  // The term's control, delayed by the read latency so it meets its operands.
  logic [LANES-1:0] q_valid;
  logic [CNT_W-1:0] q_base;
  logic q_first, q_last;
  generate
    if (SRAM_LAT > 0) begin : g_delay
      // Flat vectors (one LANES- or CNT_W-bit field per cycle of delay): Yosys 0.23 has no packed 2-D arrays.
      logic [DL*LANES-1:0] dv;
      logic [DL*CNT_W-1:0] db;
      logic [DL-1:0] df, dla;
      always_ff @(posedge clk) begin
        if (!rst_n) begin
          dv <= '0;
        end else begin
          dv[0 +: LANES] <= lane_valid;   // (lane_valid is 0 while the sequencer is idle)
          for (int k = 1; k < DL; k++) dv[k*LANES +: LANES] <= dv[(k-1)*LANES +: LANES];
        end
      end
      always_ff @(posedge clk) begin
        db[0 +: CNT_W] <= base;
        df[0] <= first;
        dla[0] <= last;
        for (int k = 1; k < DL; k++) begin
          db[k*CNT_W +: CNT_W] <= db[(k-1)*CNT_W +: CNT_W];
          df[k] <= df[k - 1];
          dla[k] <= dla[k - 1];
        end
      end
      assign q_valid = sram ? dv[(DL-1)*LANES +: LANES] : lane_valid;
      assign q_base = sram ? db[(DL-1)*CNT_W +: CNT_W] : base;
      assign q_first = sram ? df[DL-1] : first;
      assign q_last = sram ? dla[DL-1] : last;
    end else begin : g_no_delay
      // No read latency: SRAM and buffer operands arrive alike.
      /* verilator lint_off UNUSEDSIGNAL */
      logic unused_sram;
      assign unused_sram = sram;
      /* verilator lint_on UNUSEDSIGNAL */
      assign q_valid = lane_valid;
      assign q_base = base;
      assign q_first = first;
      assign q_last = last;
    end
  endgenerate

  // ------------------------------------------------------------------ lanes
  logic is_upd, is_merge, is_fwd_bias, is_heb;
  assign is_upd = (op == OP_UPD);
  assign is_merge = (op == OP_MERGE);
  assign is_fwd_bias = (op == OP_FWD) && bias;
  assign is_heb = (op == OP_HEB);

  logic [LANES-1:0] mac_valid, upd_valid;
  logic [LANES*CNT_W-1:0] res_index_mac;
  generate
    for (genvar l = 0; l < LANES; l++) begin : g_lane
      logic [CNT_W-1:0] idx;
      logic signed [ACC_W-1:0] init;
      logic signed [ACC_W-1:0] bias_aligned;
      assign idx = q_base + CNT_W'(l);
      // The bias path: b(i) << sb, sign-extended to the accumulator.
      assign bias_aligned = ACC_W'($signed(d_bias[l*WB +: WB])) <<< SB;
      assign init = is_fwd_bias ? bias_aligned : (is_merge ? $signed(d_init[l*ACC_W +: ACC_W]) : '0);

      pe_mac_lane #(.XW(XW), .YW(YW), .ACC_W(ACC_W), .GUARD_W(GUARD_W), .IDX_W(CNT_W)) u_mac (
        .clk, .rst_n,
        .in_valid(q_valid[l] && !is_upd),
        .in_first(q_first), .in_last(q_last),
        .in_add(is_merge),
        .in_hsum(is_heb && (idx < n_hsum)),
        .in_x($signed(d_x[l*XW +: XW])), .in_y($signed(d_y[l*YW +: YW])),
        .in_addend($signed(d_wide[l*ACC_W +: ACC_W])), .in_init(init), .in_index(idx),
        .out_valid(mac_valid[l]), .out_index(res_index_mac[l*CNT_W +: CNT_W]),
        .out_sum(res_sum[l*ACC_W +: ACC_W]), .out_wrapped(res_wrapped[l]),
        .out_hsum(res_hsum[l*ACC_W +: ACC_W]), .out_hwrapped(res_hwrapped[l]));

      // The write path's handshake and echo outputs: with out_ready tied high the
      // unit is always ready, results come back in order (res_index counts
      // them), and out_acc / out_acc_wrapped are of no use to a write.
      /* verilator lint_off UNUSEDSIGNAL */
      logic upd_ready;
      logic [2:0] upd_op;
      logic [TAG_W-1:0] upd_tag;
      logic signed [ACC_W-1:0] upd_acc;
      logic upd_wrapped;
      /* verilator lint_on UNUSEDSIGNAL */
      edge_unit #(.S_I(S_I), .S_F(S_F), .W_I(W_I), .W_F(W_F), .B_I(B_I), .B_F(B_F), .R_I(R_I), .R_F(R_F),
                  .C_I(C_I), .C_F(C_F), .ACC_W(ACC_W), .QUANT(QUANT), .OVF(OVF), .STEP_W(STEP_W),
                  .IDX_W(IDX_W), .TAG_W(TAG_W)) u_upd (
        .clk, .rst_n,
        .in_valid(q_valid[l] && is_upd), .in_ready(upd_ready),
        .in_op(d_upd_bias[l] ? 3'd4 : 3'd3), .in_tag(TAG_W'(idx)),
        .in_acc($signed(d_wide[l*ACC_W +: ACC_W])), .in_w($signed(d_x[l*XW +: WW])), .in_b($signed(d_bias[l*WB +: WB])),
        .in_a('0), .in_r('0), .in_eta(cfg_eta), .in_seed(cfg_seed), .in_step(cfg_step),
        .in_layer(layer), .in_row(d_row[l*IDX_W +: IDX_W]), .in_col(d_col[l*IDX_W +: IDX_W]),
        .cfg_quant, .cfg_ovf,
        .out_valid(upd_valid[l]), .out_ready(1'b1), .out_op(upd_op), .out_tag(upd_tag),
        .out_acc(upd_acc), .out_reg(res_reg[l*REG_W +: REG_W]), .out_acc_wrapped(upd_wrapped),
        .out_saturated(res_saturated[l]), .out_lost(res_lost[l]));

      // Lane l's k-th write result is write k * LANES + l.
      logic [CNT_W-1:0] upd_count;
      always_ff @(posedge clk) begin
        if (start) upd_count <= CNT_W'(l);
        else if (upd_valid[l]) upd_count <= upd_count + CNT_W'(LANES);
      end
      assign res_index[l*CNT_W +: CNT_W] = upd_valid[l] ? upd_count : res_index_mac[l*CNT_W +: CNT_W];
    end
  endgenerate
  assign res_valid = mac_valid | upd_valid;

  // ----------------------------------------------------------- completion
  logic [CNT_W-1:0] n_now;
  always_comb begin
    n_now = '0;
    for (int l = 0; l < LANES; l++) n_now = n_now + CNT_W'(res_valid[l]);
  end
  assign done = active && (n_done + n_now == n_outputs);
  always_ff @(posedge clk) begin
    if (start) n_done <= '0;
    else n_done <= n_done + n_now;
  end
endmodule
