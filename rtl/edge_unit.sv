`timescale 1ns/1ps
// edge_unit: one lane of an edge processing element's datapath, bit-exactly
// the functions of sw/fixed/include/sheafsim/fixed/edge_datapath.h (docs/fixed-point.md
// §3-§5; interface and test plan in docs/edge-unit.md).
//
// Operations (in_op):
//   0 MAC_FWD  out_acc = wrap_ACC_W(in_acc + in_w * in_a)   forward  psum += W a
//   1 MAC_BWD  out_acc = wrap_ACC_W(in_acc + in_w * in_r)   backward bsum += W u
//   2 MAC_HEB  out_acc = wrap_ACC_W(in_acc + in_r * in_a)   Hebbian  hacc += u a
//   3 UPD_W    out_reg = round_W((in_w << DW) + in_eta * in_acc)  weight write, DW = C_F + R_F + S_F - W_F
//   4 UPD_B    out_reg = round_B((in_b << DB) + in_eta * in_acc)  bias write,   DB = C_F + R_F - B_F
//   5..7       no operation: out_acc = in_acc, out_reg = 0, no flags
// (== edge::mac, edge::update_weight, edge::update_bias). For every op out_acc
// is the low ACC_W bits of the exact sum (for UPD_* that is the unrounded
// update, of no use to the PE). out_reg is 0 for the MAC ops. Flags:
//   out_acc_wrapped  MAC ops: the exact sum left the ACC_W-bit range (it wrapped)
//   out_saturated    UPD ops: the rounded value left the register (saturated or wrapped)
//   out_lost         UPD ops: in_eta * in_acc != 0 but the register value is unchanged
//
// Stochastic rounding (mode 5) computes the counter-based hash of §5 in the
// pipeline: bits = mix64(mix64(mix64(mix64(seed) ^ step) ^ sample) ^ site),
// sample = in_col (UPD_W) or 0 (UPD_B), site = (class << 56) | (layer << 48) | row
// with class 3 (weight) or 4 (bias).
//
// Handshake: valid/ready on both sides. A transfer happens on a rising clock
// edge with valid && ready high. LATENCY = 4: an operation accepted at the
// end of cycle c is presented (out_valid = 1) in cycle c + 4 when out_ready
// was not low in between; one operation per cycle sustained. The pipeline
// stalls stage by stage (a bubble is squeezed out while the output waits),
// and the output holds its value while out_valid && !out_ready. in_ready
// depends combinationally on out_ready. Synchronous active-low reset clears
// the valid bits only; data registers are not reset.
//
// Parameters: formats Q<X_I>.<X_F> of stalk (S), weight (W), bias (B),
// residual (R) and constant (C); every width >= 2, C_I + C_F <= 32 and the
// alignments of docs/fixed-point.md §4 (DW >= 0, DB >= 0). ACC_W >= every
// product width. QUANT: 0 trn, 1 trn_zero, 2 rnd, 3 rnd_zero, 4 rnd_conv,
// 5 stoch (the fx::Quant order), 6 = chosen per operation by cfg_quant.
// OVF: 0 sat, 1 wrap (fx::Overflow order), 2 = chosen per operation by cfg_ovf.
// STEP_W, IDX_W: widths of the step counter and of the row and column indices
// (zero-extended to 64 bits in the hash; IDX_W <= 48).
module edge_unit #(
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
  localparam int WS = S_I + S_F,
  localparam int WW = W_I + W_F,
  localparam int WB = B_I + B_F,
  localparam int WR = R_I + R_F,
  localparam int WC = C_I + C_F,
  localparam int REG_W = (WW > WB) ? WW : WB
) (
  input  logic                    clk,
  input  logic                    rst_n,
  // request
  input  logic                    in_valid,
  output logic                    in_ready,
  input  logic [2:0]              in_op,
  input  logic [TAG_W-1:0]        in_tag,     // returned unchanged with the result
  input  logic signed [ACC_W-1:0] in_acc,     // accumulator (MAC), H or h (UPD_W, UPD_B)
  input  logic signed [WW-1:0]    in_w,       // weight
  input  logic signed [WB-1:0]    in_b,       // bias
  input  logic signed [WS-1:0]    in_a,       // stalk
  input  logic signed [WR-1:0]    in_r,       // residual
  input  logic signed [WC-1:0]    in_eta,     // step constant beta*dt, raw
  input  logic [63:0]             in_seed,    // stochastic-rounding seed
  input  logic [STEP_W-1:0]       in_step,    // Euler steps done before this one
  input  logic [7:0]              in_layer,   // layer l (1..L)
  input  logic [IDX_W-1:0]        in_row,     // row i of W[i, j] or b[i]
  input  logic [IDX_W-1:0]        in_col,     // column j of W[i, j]
  input  logic [2:0]              cfg_quant,  // rounding mode when QUANT == 6
  input  logic                    cfg_ovf,    // overflow mode when OVF == 2
  // result
  output logic                    out_valid,
  input  logic                    out_ready,
  output logic [2:0]              out_op,
  output logic [TAG_W-1:0]        out_tag,
  output logic signed [ACC_W-1:0] out_acc,
  output logic signed [REG_W-1:0] out_reg,
  output logic                    out_acc_wrapped,
  output logic                    out_saturated,
  output logic                    out_lost
);
  // Parameter legality (docs/edge-unit.md §2): an illegal set must not
  // elaborate into a unit that silently computes something else. Plain
  // messages: Yosys 0.23 does not format $error arguments.
  if (1) begin : g_param_checks
`ifndef __ICARUS__  // Icarus 11 has no elaboration-time $error (it simulates legal sets only)
    if (WS < 2) $error("edge_unit: S_I + S_F (stalk width) must be >= 2");
    if (WW < 2) $error("edge_unit: W_I + W_F (weight width) must be >= 2");
    if (WB < 2) $error("edge_unit: B_I + B_F (bias width) must be >= 2");
    if (WR < 2) $error("edge_unit: R_I + R_F (residual width) must be >= 2");
    if (WC < 2 || WC > 32) $error("edge_unit: C_I + C_F (constant width) must be in 2..32");
    if (ACC_W < 2) $error("edge_unit: ACC_W must be >= 2");
    if (C_F + R_F + S_F - W_F < 0) $error("edge_unit: DW = C_F + R_F + S_F - W_F must be >= 0");
    if (C_F + R_F - B_F < 0) $error("edge_unit: DB = C_F + R_F - B_F must be >= 0");
    if (ACC_W < WW + WS || ACC_W < WW + WR || ACC_W < WR + WS)
      $error("edge_unit: ACC_W must be >= every product width (WW + WS, WW + WR, WR + WS)");
    if (IDX_W < 1 || IDX_W > 48) $error("edge_unit: IDX_W must be in 1..48 (the row shares the 64-bit site word)");
    if (TAG_W < 1) $error("edge_unit: TAG_W must be >= 1");
    if (STEP_W < 1 || STEP_W > 64) $error("edge_unit: STEP_W must be in 1..64");
    if (QUANT < 0 || QUANT > 6) $error("edge_unit: QUANT must be in 0..6");
    if (OVF < 0 || OVF > 2) $error("edge_unit: OVF must be in 0..2");
`endif
`ifdef EDGE_UNIT_SVA
    // The assertions (rtl/edge_unit_sva.sv), attached here and not with
    // `bind`: Yosys 0.23 parses bind but silently drops the instance.
    `include "edge_unit_sva_attach.svh"
`endif
  end
  localparam int LATENCY = 4;

  localparam logic [2:0] OP_FWD = 3'd0, OP_BWD = 3'd1, OP_HEB = 3'd2, OP_UPDW = 3'd3, OP_UPDB = 3'd4;

  // Dropped fractional bits of the two register writes (= the left shift of the old value).
  localparam int DW = C_F + R_F + S_F - W_F;
  localparam int DB = C_F + R_F - B_F;

  // One shared signed multiplier: MX x MY covers w*a, w*r, r*a and eta*acc.
  localparam int MXW_0 = (WW > WR) ? WW : WR;
  localparam int MXW = (MXW_0 > WC) ? MXW_0 : WC;
  localparam int MYW_0 = (WS > WR) ? WS : WR;
  localparam int MYW = (MYW_0 > ACC_W) ? MYW_0 : ACC_W;
  localparam int MW = MXW + MYW;
  // One shared adder, wide enough for every exact sum (plus one bit).
  localparam int SW_0 = (MW > WW + DW) ? MW : WW + DW;
  localparam int SW_1 = (SW_0 > WB + DB) ? SW_0 : WB + DB;
  localparam int SW = ((SW_1 > ACC_W) ? SW_1 : ACC_W) + 1;

  localparam bit HAS_STOCH = (QUANT == 5) || (QUANT == 6);

  function automatic logic [63:0] mix64(input logic [63:0] x_in);
    logic [63:0] x;
    x = x_in + 64'h9e3779b97f4a7c15;
    x = x ^ (x >> 30);
    x = x * 64'hbf58476d1ce4e5b9;
    x = x ^ (x >> 27);
    x = x * 64'h94d049bb133111eb;
    x = x ^ (x >> 31);
    mix64 = x;
  endfunction

  // ---------------------------------------------------------------- control
  // vld[k]: stage k+1 holds an operation. A stage loads when it is empty or
  // its content moves on in the same cycle.
  logic [LATENCY-1:0] vld;
  logic en1, en2, en3, en4;   // stage k may load (one signal each: no false loop)
  assign en4 = !vld[3] || out_ready;
  assign en3 = !vld[2] || en4;
  assign en2 = !vld[1] || en3;
  assign en1 = !vld[0] || en2;
  assign in_ready = en1;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      vld <= '0;
    end else begin
      if (en1) vld[0] <= in_valid;
      if (en2) vld[1] <= vld[0];
      if (en3) vld[2] <= vld[1];
      if (en4) vld[3] <= vld[2];
    end
  end

  // Load enables of the data registers (no toggling on bubbles).
  logic ld1, ld2, ld3, ld4;
  assign ld1 = en1 && in_valid;
  assign ld2 = en2 && vld[0];
  assign ld3 = en3 && vld[1];
  assign ld4 = en4 && vld[2];

  // ------------------------------------------------------ stage 1: multiply
  logic signed [MW-1:0] mx, my;
  logic signed [SW-1:0] addend;
  logic signed [REG_W-1:0] old_reg;
  logic is_mac, is_upd;
  always_comb begin
    is_mac = 1'b0;
    is_upd = 1'b0;
    mx = '0;
    my = '0;
    addend = SW'(in_acc);
    old_reg = '0;
    case (in_op)
      OP_FWD: begin is_mac = 1'b1; mx = MW'(in_w); my = MW'(in_a); end
      OP_BWD: begin is_mac = 1'b1; mx = MW'(in_w); my = MW'(in_r); end
      OP_HEB: begin is_mac = 1'b1; mx = MW'(in_r); my = MW'(in_a); end
      OP_UPDW: begin
        is_upd = 1'b1; mx = MW'(in_eta); my = MW'(in_acc);
        addend = SW'(in_w) <<< DW;
        old_reg = REG_W'(in_w);
      end
      OP_UPDB: begin
        is_upd = 1'b1; mx = MW'(in_eta); my = MW'(in_acc);
        addend = SW'(in_b) <<< DB;
        old_reg = REG_W'(in_b);
      end
      default: ;
    endcase
  end

  logic [2:0]            s1_op, s2_op, s3_op;
  logic [TAG_W-1:0]      s1_tag, s2_tag, s3_tag;
  logic [2:0]            s1_quant, s2_quant, s3_quant;
  logic                  s1_ovf, s2_ovf, s3_ovf;
  logic                  s1_mac, s2_mac, s3_mac;
  logic                  s1_nz, s2_nz, s3_nz;     // the update eta * acc is non-zero
  logic signed [MW-1:0]  s1_prod;
  logic signed [SW-1:0]  s1_addend, s2_sum, s3_sum;
  logic signed [REG_W-1:0] s1_old, s2_old, s3_old;

  always_ff @(posedge clk) begin
    if (ld1) begin
      s1_op <= in_op;
      s1_tag <= in_tag;
      s1_quant <= cfg_quant;
      s1_ovf <= cfg_ovf;
      s1_mac <= is_mac;
      s1_nz <= is_upd && (in_eta != '0) && (in_acc != '0);
      s1_prod <= mx * my;
      s1_addend <= addend;
      s1_old <= old_reg;
    end
  end

  // ---------------------------------------------------------- stage 2: add
  always_ff @(posedge clk) begin
    if (ld2) begin
      s2_op <= s1_op;
      s2_tag <= s1_tag;
      s2_quant <= s1_quant;
      s2_ovf <= s1_ovf;
      s2_mac <= s1_mac;
      s2_nz <= s1_nz;
      s2_sum <= s1_addend + SW'(s1_prod);
      s2_old <= s1_old;
    end
  end

  // -------------------------------------------------- stage 3: (hash only)
  always_ff @(posedge clk) begin
    if (ld3) begin
      s3_op <= s2_op;
      s3_tag <= s2_tag;
      s3_quant <= s2_quant;
      s3_ovf <= s2_ovf;
      s3_mac <= s2_mac;
      s3_nz <= s2_nz;
      s3_sum <= s2_sum;
      s3_old <= s2_old;
    end
  end

  // ----------------------------------------------- stochastic-rounding hash
  // One mix64 per stage; the key registers load only for a stochastic update.
  logic [63:0] rbits;
  generate
    if (HAS_STOCH) begin : g_hash
      logic [63:0] h1, h2, h3;
      logic [63:0] k1_step, k1_sample, k2_sample, k1_site, k2_site, k3_site;
      logic [63:0] sample, site;
      logic need1, need2, need3;
      logic st1, st2;   // stage 1 / 2 holds a stochastic update
      always_comb begin
        sample = (in_op == OP_UPDW) ? 64'(in_col) : 64'd0;
        site = {5'd0, (in_op == OP_UPDB) ? 3'd4 : 3'd3, in_layer, 48'(in_row)};
      end
      assign need1 = ld1 && is_upd && ((QUANT != 6) || (cfg_quant == 3'd5));
      assign need2 = ld2 && st1;
      assign need3 = ld3 && st2;
      always_ff @(posedge clk) begin
        if (ld1) st1 <= need1;
        if (ld2) st2 <= st1;
        if (need1) begin
          h1 <= mix64(in_seed);
          k1_step <= 64'(in_step);
          k1_sample <= sample;
          k1_site <= site;
        end
        if (need2) begin
          h2 <= mix64(h1 ^ k1_step);
          k2_sample <= k1_sample;
          k2_site <= k1_site;
        end
        if (need3) begin
          h3 <= mix64(h2 ^ k2_sample);
          k3_site <= k2_site;
        end
      end
      assign rbits = mix64(h3 ^ k3_site);
    end else begin : g_no_hash
      assign rbits = 64'd0;
    end
  endgenerate

  // -------------------------------------------- stage 4: round, fit, flags
  logic signed [WW-1:0] w_new;
  logic signed [WB-1:0] b_new;
  logic w_ovf, b_ovf;

  edge_round #(.VW(SW), .D(DW), .OW(WW), .QUANT(QUANT), .OVF(OVF)) u_round_w (
    .v(s3_sum), .rbits(rbits), .quant(s3_quant), .ovf(s3_ovf), .y(w_new), .overflowed(w_ovf));
  edge_round #(.VW(SW), .D(DB), .OW(WB), .QUANT(QUANT), .OVF(OVF)) u_round_b (
    .v(s3_sum), .rbits(rbits), .quant(s3_quant), .ovf(s3_ovf), .y(b_new), .overflowed(b_ovf));

  logic signed [REG_W-1:0] reg_new;
  logic sat_new;
  always_comb begin
    reg_new = '0;
    sat_new = 1'b0;
    if (s3_op == OP_UPDW) begin
      reg_new = REG_W'(w_new);
      sat_new = w_ovf;
    end else if (s3_op == OP_UPDB) begin
      reg_new = REG_W'(b_new);
      sat_new = b_ovf;
    end
  end

  logic [SW-ACC_W:0] acc_upper;   // the bits that must all equal the accumulator sign bit
  assign acc_upper = s3_sum[SW-1:ACC_W-1];

  always_ff @(posedge clk) begin
    if (ld4) begin
      out_op <= s3_op;
      out_tag <= s3_tag;
      out_acc <= s3_sum[ACC_W-1:0];
      out_reg <= reg_new;
      out_acc_wrapped <= s3_mac && !((&acc_upper) || !(|acc_upper));
      out_saturated <= sat_new;
      out_lost <= s3_nz && (reg_new == s3_old);
    end
  end
  assign out_valid = vld[3];
endmodule
