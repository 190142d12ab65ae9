`timescale 1ns/1ps
// edge_round: the one rounding point of docs/fixed-point.md §3, in hardware,
// split so the pipeline can decide the round-up after the stochastic hash.
//
// Combinational. Takes an exact signed integer `v` (VW bits) carrying D more
// fractional bits than the destination register and gives both candidates of
// dropping those D bits, each already fitted into OW bits by the overflow mode:
// `y_dn` = fit(floor(v / 2^D)) and `y_up` = fit(floor + 1), with their
// out-of-range flags, the round-up decision `up_det` of the deterministic
// modes and the top K remainder bits `rem_top` for the stochastic compare.
// The caller picks: up = (mode == stoch) ? (rbits[63 -: K] < rem_top) : up_det,
// y = up ? y_up : y_dn. Bit for bit the C++ `fx::quantize` (round_shift, then
// fit_width) for 0 <= D.
//
//   mode  quant     round-up condition (rem = v mod 2^D, half = 2^(D-1))
//   0     trn       never (floor, toward minus infinity)
//   1     trn_zero  v < 0 and rem != 0
//   2     rnd       rem >= half
//   3     rnd_zero  rem > half, or rem = half and v < 0
//   4     rnd_conv  rem > half, or rem = half and floor odd
//   5     stoch     r < top: top = rem >> (D - K), r = rbits >> (64 - K), K = min(D, 64)
//                   (up_det is 0; the caller compares)
//   overflow: 0 sat (clamp), 1 wrap (keep the low OW bits)
//
// QUANT / OVF fix the mode at elaboration (0..5 / 0..1); QUANT = 6 / OVF = 2
// take it from the `quant` / `ovf` inputs instead. With a fixed mode the other
// branches are constant-folded away by synthesis.
module edge_round #(
  parameter int VW = 40,    // width of the exact input
  parameter int D = 16,     // fractional bits to drop (>= 0)
  parameter int OW = 16,    // destination register width (>= 2)
  parameter int QUANT = 6,
  parameter int OVF = 2,
  localparam int K = (D < 64) ? D : 64,
  localparam int KW = (K > 0) ? K : 1     // rem_top width (a constant 0 bit when D = 0)
) (
  input  logic signed [VW-1:0] v,
  input  logic        [2:0]    quant,     // used when QUANT == 6
  input  logic                 ovf,       // used when OVF == 2
  output logic signed [OW-1:0] y_dn,      // floor, fitted
  output logic signed [OW-1:0] y_up,      // floor + 1, fitted
  output logic                 ovf_dn,    // floor left [-2^(OW-1), 2^(OW-1) - 1]
  output logic                 ovf_up,    // floor + 1 left it
  output logic                 up_det,    // round up (modes 0..4)
  output logic        [KW-1:0] rem_top    // top K bits of the remainder (mode 5)
);
  // Parameter legality: refuse to elaborate (plain messages: Yosys 0.23 does
  // not format $error arguments).
  if (1) begin : g_param_checks
`ifndef __ICARUS__  // Icarus 11 has no elaboration-time $error (it simulates legal sets only)
    if (D < 0) $error("edge_round: D (fractional bits to drop) must be >= 0");
    if (OW < 2) $error("edge_round: OW (register width) must be >= 2");
    if (VW <= D) $error("edge_round: VW (input width) must be > D");
    if (QUANT < 0 || QUANT > 6) $error("edge_round: QUANT must be in 0..6");
    if (OVF < 0 || OVF > 2) $error("edge_round: OVF must be in 0..2");
`endif
  end

  // Width of floor(v / 2^D) + 1: one bit more than the floor, so the +1 never wraps.
  localparam int RW = VW - D + 1;

  logic [2:0] q;
  logic       o;
  assign q = (QUANT == 6) ? quant : 3'(QUANT);
  assign o = (OVF == 2) ? ovf : (OVF != 0);

  logic signed [RW-1:0] fl_dn, fl_up;

  generate
    if (D <= 0) begin : g_exact   // (D < 0 is refused above; no second error from g_round)
      assign fl_dn = RW'(v);
      assign up_det = 1'b0;
      assign rem_top = '0;
    end else begin : g_round
      logic        [D-1:0] rem;  // v - floor * 2^D
      logic neg, nz, ge_half, lo_nz;
      assign fl_dn = RW'($signed(v[VW-1:D]));   // floor = v >>> D (a part-select is unsigned)
      assign rem = v[D-1:0];
      assign neg = v[VW-1];
      assign nz = |rem;
      assign ge_half = rem[D-1];
      assign lo_nz = |(rem << 1);   // any bit below the half bit (the MSB is shifted out)
      assign rem_top = rem[D-1 -: K];
      assign up_det = (q == 3'd1) ? (neg & nz)                   // trn_zero
                    : (q == 3'd2) ? ge_half                      // rnd
                    : (q == 3'd3) ? (ge_half & (lo_nz | neg))    // rnd_zero
                    : (q == 3'd4) ? (ge_half & (lo_nz | v[D]))   // rnd_conv (v[D]: floor is odd)
                    : 1'b0;                                      // trn, stoch (the caller's), 6, 7
    end
  endgenerate
  assign fl_up = fl_dn + RW'(1);

  // Fit both candidates: the low OW bits, or the clamp when out of range and the mode saturates.
  generate
    if (RW <= OW) begin : g_fits
      assign y_dn = OW'(fl_dn);
      assign y_up = OW'(fl_up);
      assign ovf_dn = 1'b0;
      assign ovf_up = 1'b0;
    end else begin : g_fit
      logic [RW-OW:0] upper_dn, upper_up;   // the bits that must all equal the sign bit
      assign upper_dn = fl_dn[RW-1:OW-1];
      assign upper_up = fl_up[RW-1:OW-1];
      assign ovf_dn = !((&upper_dn) || !(|upper_dn));
      assign ovf_up = !((&upper_up) || !(|upper_up));
      assign y_dn = (ovf_dn && !o) ? (fl_dn[RW-1] ? {1'b1, {(OW-1){1'b0}}} : {1'b0, {(OW-1){1'b1}}})   // saturate
                                   : fl_dn[OW-1:0];                                                    // in range, or wrap
      assign y_up = (ovf_up && !o) ? (fl_up[RW-1] ? {1'b1, {(OW-1){1'b0}}} : {1'b0, {(OW-1){1'b1}}})
                                   : fl_up[OW-1:0];
    end
  endgenerate
endmodule
