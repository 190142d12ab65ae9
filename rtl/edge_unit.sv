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
// edge with valid && ready high. LATENCY = 5: an operation accepted at the
// end of cycle c is presented (out_valid = 1) in cycle c + 5 when out_ready
// was not low in between; one operation per cycle sustained. The pipeline
// stalls stage by stage (a bubble is squeezed out while the output waits),
// and the output holds its value while out_valid && !out_ready. in_ready
// depends combinationally on out_ready. Synchronous active-low reset clears
// the valid bits only; data registers are not reset.
//
// Stages: S1 multiply (a MAC and an update multiplier), S2 add, S3 both
// rounders' candidates, S4 pick the op's candidates and compare with the old
// value, S5 round-up select and flags. The hash runs one mix64 beside each of
// S1-S4, so no path chains a mix64 with the rounding or the flags.
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
  localparam int LATENCY = 5;

  localparam logic [2:0] OP_FWD = 3'd0, OP_BWD = 3'd1, OP_HEB = 3'd2, OP_UPDW = 3'd3, OP_UPDB = 3'd4;

  // Dropped fractional bits of the two register writes (= the left shift of the old value).
  localparam int DW = C_F + R_F + S_F - W_F;
  localparam int DB = C_F + R_F - B_F;

  // Two multipliers, each of its operands' widths (the unused one gets zeros):
  // MAC  MX x MY covers w*a, w*r, r*a;  update  eta x acc.
  localparam int MXW = (WW > WR) ? WW : WR;
  localparam int MYW = (WS > WR) ? WS : WR;
  localparam int MACW = MXW + MYW;
  localparam int UPDW = WC + ACC_W;
  localparam int PW = (MACW > UPDW) ? MACW : UPDW;
  // One shared adder, wide enough for every exact sum (plus one bit).
  localparam int SW_0 = (PW > WW + DW) ? PW : WW + DW;
  localparam int SW_1 = (SW_0 > WB + DB) ? SW_0 : WB + DB;
  localparam int SW = ((SW_1 > ACC_W) ? SW_1 : ACC_W) + 1;

  // Stochastic compare: the top K = min(D, 64) hash bits against the top K
  // remainder bits. Both rounders share one comparator of RBW bits: a
  // remainder padded with zeros below compares like its K bits.
  localparam int KW_W = (DW < 1) ? 1 : (DW < 64) ? DW : 64;
  localparam int KW_B = (DB < 1) ? 1 : (DB < 64) ? DB : 64;
  localparam int RBW = (KW_W > KW_B) ? KW_W : KW_B;

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
  logic en1, en2, en3, en4, en5;   // stage k may load (one signal each: no false loop)
  assign en5 = !vld[4] || out_ready;
  assign en4 = !vld[3] || en5;
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
      if (en5) vld[4] <= vld[3];
    end
  end

  // Load enables of the data registers (no toggling on bubbles).
  logic ld1, ld2, ld3, ld4, ld5;
  assign ld1 = en1 && in_valid;
  assign ld2 = en2 && vld[0];
  assign ld3 = en3 && vld[1];
  assign ld4 = en4 && vld[2];
  assign ld5 = en5 && vld[3];

  // ------------------------------------------------------ stage 1: multiply
  logic signed [MXW-1:0] mx;
  logic signed [MYW-1:0] my;
  logic signed [WC-1:0] ex;
  logic signed [ACC_W-1:0] ey;
  logic signed [SW-1:0] addend;
  logic signed [REG_W-1:0] old_reg;
  logic is_mac, is_upd;
  always_comb begin
    is_mac = 1'b0;
    is_upd = 1'b0;
    mx = '0;
    my = '0;
    ex = '0;
    ey = '0;
    addend = SW'(in_acc);
    old_reg = '0;
    case (in_op)
      OP_FWD: begin is_mac = 1'b1; mx = MXW'(in_w); my = MYW'(in_a); end
      OP_BWD: begin is_mac = 1'b1; mx = MXW'(in_w); my = MYW'(in_r); end
      OP_HEB: begin is_mac = 1'b1; mx = MXW'(in_r); my = MYW'(in_a); end
      OP_UPDW: begin
        is_upd = 1'b1; ex = in_eta; ey = in_acc;
        addend = SW'(in_w) <<< DW;
        old_reg = REG_W'(in_w);
      end
      OP_UPDB: begin
        is_upd = 1'b1; ex = in_eta; ey = in_acc;
        addend = SW'(in_b) <<< DB;
        old_reg = REG_W'(in_b);
      end
      default: ;
    endcase
  end

  // At most one product is non-zero: OR merges them without a select.
  logic signed [MACW-1:0] mac_prod;
  logic signed [UPDW-1:0] upd_prod;
  assign mac_prod = MACW'(mx) * MACW'(my);
  assign upd_prod = UPDW'(ex) * UPDW'(ey);

  logic [2:0]            s1_op, s2_op, s3_op, s4_op;
  logic [TAG_W-1:0]      s1_tag, s2_tag, s3_tag, s4_tag;
  logic [2:0]            s1_quant, s2_quant, s3_quant, s4_quant;
  logic                  s1_ovf, s2_ovf;
  logic                  s1_mac, s2_mac;
  logic                  s1_nz, s2_nz, s3_nz, s4_nz;     // the update eta * acc is non-zero
  logic signed [PW-1:0]  s1_prod;
  logic signed [SW-1:0]  s1_addend, s2_sum;
  logic signed [REG_W-1:0] s1_old, s2_old, s3_old;

  always_ff @(posedge clk) begin
    if (ld1) begin
      s1_op <= in_op;
      s1_tag <= in_tag;
      s1_quant <= cfg_quant;
      s1_ovf <= cfg_ovf;
      s1_mac <= is_mac;
      s1_nz <= is_upd && (in_eta != '0) && (in_acc != '0);
      s1_prod <= PW'(mac_prod) | PW'(upd_prod);
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

  // ----------------------------------- stage 3: both rounders' candidates
  // Floor and floor + 1 of the weight and the bias write, each fitted by the
  // overflow mode, the deterministic round-up decision and the remainder bits
  // of the stochastic compare; the accumulator result and its wrap flag.
  logic signed [WW-1:0] w_dn, w_up;
  logic signed [WB-1:0] b_dn, b_up;
  logic w_ovf_dn, w_ovf_up, b_ovf_dn, b_ovf_up, w_up_det, b_up_det;
  logic [KW_W-1:0] w_rem;
  logic [KW_B-1:0] b_rem;

  edge_round #(.VW(SW), .D(DW), .OW(WW), .QUANT(QUANT), .OVF(OVF)) u_round_w (
    .v(s2_sum), .quant(s2_quant), .ovf(s2_ovf), .y_dn(w_dn), .y_up(w_up),
    .ovf_dn(w_ovf_dn), .ovf_up(w_ovf_up), .up_det(w_up_det), .rem_top(w_rem));
  edge_round #(.VW(SW), .D(DB), .OW(WB), .QUANT(QUANT), .OVF(OVF)) u_round_b (
    .v(s2_sum), .quant(s2_quant), .ovf(s2_ovf), .y_dn(b_dn), .y_up(b_up),
    .ovf_dn(b_ovf_dn), .ovf_up(b_ovf_up), .up_det(b_up_det), .rem_top(b_rem));

  logic [SW-ACC_W:0] acc_upper;   // the bits that must all equal the accumulator sign bit
  assign acc_upper = s2_sum[SW-1:ACC_W-1];

  logic signed [ACC_W-1:0] s3_acc, s4_acc;
  logic s3_wrapped, s4_wrapped;
  logic signed [WW-1:0] s3_w_dn, s3_w_up;
  logic signed [WB-1:0] s3_b_dn, s3_b_up;
  logic s3_w_ovf_dn, s3_w_ovf_up, s3_b_ovf_dn, s3_b_ovf_up, s3_w_up_det, s3_b_up_det;
  logic [KW_W-1:0] s3_w_rem;
  logic [KW_B-1:0] s3_b_rem;

  always_ff @(posedge clk) begin
    if (ld3) begin
      s3_op <= s2_op;
      s3_tag <= s2_tag;
      s3_quant <= s2_quant;
      s3_nz <= s2_nz;
      s3_old <= s2_old;
      s3_acc <= s2_sum[ACC_W-1:0];
      s3_wrapped <= s2_mac && !((&acc_upper) || !(|acc_upper));
      s3_w_dn <= w_dn;
      s3_w_up <= w_up;
      s3_b_dn <= b_dn;
      s3_b_up <= b_up;
      s3_w_ovf_dn <= w_ovf_dn;
      s3_w_ovf_up <= w_ovf_up;
      s3_b_ovf_dn <= b_ovf_dn;
      s3_b_ovf_up <= b_ovf_up;
      s3_w_up_det <= w_up_det;
      s3_b_up_det <= b_up_det;
      s3_w_rem <= w_rem;
      s3_b_rem <= b_rem;
    end
  end

  // ------------------------------- stage 4: select the register, compare
  // The op picks the weight or the bias candidates; both are compared with
  // the old value (the "lost" flag), while the hash does its last mix64.
  logic signed [REG_W-1:0] reg_dn, reg_up;
  logic ovf_dn, ovf_up, up_det;
  logic [RBW-1:0] rem_sel;
  always_comb begin
    reg_dn = '0;
    reg_up = '0;
    ovf_dn = 1'b0;
    ovf_up = 1'b0;
    up_det = 1'b0;
    rem_sel = '0;
    if (s3_op == OP_UPDW) begin
      reg_dn = REG_W'(s3_w_dn);
      reg_up = REG_W'(s3_w_up);
      ovf_dn = s3_w_ovf_dn;
      ovf_up = s3_w_ovf_up;
      up_det = s3_w_up_det;
      rem_sel = RBW'(s3_w_rem) << (RBW - KW_W);
    end else if (s3_op == OP_UPDB) begin
      reg_dn = REG_W'(s3_b_dn);
      reg_up = REG_W'(s3_b_up);
      ovf_dn = s3_b_ovf_dn;
      ovf_up = s3_b_ovf_up;
      up_det = s3_b_up_det;
      rem_sel = RBW'(s3_b_rem) << (RBW - KW_B);
    end
  end

  logic signed [REG_W-1:0] s4_dn, s4_up;
  logic s4_ovf_dn, s4_ovf_up, s4_eq_dn, s4_eq_up, s4_up_det;
  logic [RBW-1:0] s4_rem;

  always_ff @(posedge clk) begin
    if (ld4) begin
      s4_op <= s3_op;
      s4_tag <= s3_tag;
      s4_quant <= s3_quant;
      s4_nz <= s3_nz;
      s4_acc <= s3_acc;
      s4_wrapped <= s3_wrapped;
      s4_dn <= reg_dn;
      s4_up <= reg_up;
      s4_ovf_dn <= ovf_dn;
      s4_ovf_up <= ovf_up;
      s4_eq_dn <= reg_dn == s3_old;
      s4_eq_up <= reg_up == s3_old;
      s4_up_det <= up_det;
      s4_rem <= rem_sel;
    end
  end

  // ----------------------------------------------- stochastic-rounding hash
  // One mix64 per stage, beside stages 1-4; the key registers load only for
  // a stochastic update. h4 keeps the top RBW bits (all the compare reads).
  logic stoch_up;
  generate
    if (HAS_STOCH) begin : g_hash
      logic [63:0] h1, h2, h3, mix4;
      logic [RBW-1:0] h4;
      logic [63:0] k1_step, k1_sample, k2_sample, k1_site, k2_site, k3_site;
      logic [63:0] sample, site;
      logic need1, need2, need3, need4;
      logic st1, st2, st3;   // stage k holds a stochastic update
      always_comb begin
        sample = (in_op == OP_UPDW) ? 64'(in_col) : 64'd0;
        site = {5'd0, (in_op == OP_UPDB) ? 3'd4 : 3'd3, in_layer, 48'(in_row)};
      end
      assign need1 = ld1 && is_upd && ((QUANT != 6) || (cfg_quant == 3'd5));
      assign need2 = ld2 && st1;
      assign need3 = ld3 && st2;
      assign need4 = ld4 && st3;
      assign mix4 = mix64(h3 ^ k3_site);
      always_ff @(posedge clk) begin
        if (ld1) st1 <= need1;
        if (ld2) st2 <= st1;
        if (ld3) st3 <= st2;
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
        if (need4) h4 <= mix4[63 -: RBW];
      end
      assign stoch_up = h4 < s4_rem;
    end else begin : g_no_hash
      assign stoch_up = 1'b0;
    end
  endgenerate

  // ------------------------------------ stage 5: round-up select, outputs
  logic is_stoch, up;
  assign is_stoch = (QUANT == 5) || ((QUANT == 6) && (s4_quant == 3'd5));
  assign up = is_stoch ? stoch_up : s4_up_det;

  always_ff @(posedge clk) begin
    if (ld5) begin
      out_op <= s4_op;
      out_tag <= s4_tag;
      out_acc <= s4_acc;
      out_reg <= up ? s4_up : s4_dn;
      out_acc_wrapped <= s4_wrapped;
      out_saturated <= up ? s4_ovf_up : s4_ovf_dn;
      out_lost <= s4_nz && (up ? s4_eq_up : s4_eq_dn);
    end
  end
  assign out_valid = vld[4];
endmodule
