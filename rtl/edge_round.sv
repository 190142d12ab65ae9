`timescale 1ns/1ps
// edge_round: the one rounding point of docs/fixed-point.md §3, in hardware.
//
// Combinational. Takes an exact signed integer `v` (VW bits) carrying D more
// fractional bits than the destination register, drops those D bits by the
// rounding mode, then fits the result into OW bits by the overflow mode. Bit for
// bit the C++ `fx::quantize` (round_shift, then fit_width) for 0 <= D.
//
//   mode  quant   round-up condition (rem = v mod 2^D, half = 2^(D-1))
//   0     trn     never (floor, toward minus infinity)
//   1     trn_zero  v < 0 and rem != 0
//   2     rnd     rem >= half
//   3     rnd_zero  rem > half, or rem = half and v < 0
//   4     rnd_conv  rem > half, or rem = half and floor odd
//   5     stoch   r < top: top = rem >> (D - K), r = rbits >> (64 - K), K = min(D, 64)
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
  parameter int OVF = 2
) (
  input  logic signed [VW-1:0] v,
  input  logic        [63:0]   rbits,       // stochastic bits (used by mode 5 only)
  input  logic        [2:0]    quant,       // used when QUANT == 6
  input  logic                 ovf,         // used when OVF == 2
  output logic signed [OW-1:0] y,
  output logic                 overflowed   // the rounded value left [-2^(OW-1), 2^(OW-1) - 1]
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
  localparam int K = (D < 64) ? D : 64;

  logic [2:0] q;
  logic       o;
  assign q = (QUANT == 6) ? quant : 3'(QUANT);
  assign o = (OVF == 2) ? ovf : (OVF != 0);

  logic signed [RW-1:0] rounded;

  generate
    if (D <= 0) begin : g_exact   // (D < 0 is refused above; no second error from g_round)
      assign rounded = RW'(v);
    end else begin : g_round
      logic signed [VW-D-1:0] fl;   // floor = v >>> D
      logic        [D-1:0]    rem;  // v - floor * 2^D
      logic up, neg, nz, ge_half, lo_nz, stoch_up;
      assign fl = v[VW-1:D];
      assign rem = v[D-1:0];
      assign neg = v[VW-1];
      assign nz = |rem;
      assign ge_half = rem[D-1];
      assign lo_nz = |(rem << 1);   // any bit below the half bit (the MSB is shifted out)
      assign stoch_up = rbits[63 -: K] < rem[D-1 -: K];
      assign up = (q == 3'd1) ? (neg & nz)                   // trn_zero
                : (q == 3'd2) ? ge_half                      // rnd
                : (q == 3'd3) ? (ge_half & (lo_nz | neg))    // rnd_zero
                : (q == 3'd4) ? (ge_half & (lo_nz | v[D]))   // rnd_conv (v[D]: floor is odd)
                : (q == 3'd5) ? stoch_up                     // stoch
                : 1'b0;                                      // trn (and the unused codes 6, 7)
      assign rounded = RW'(fl) + RW'({1'b0, up});
    end

    if (RW <= OW) begin : g_fits
      assign y = OW'(rounded);
      assign overflowed = 1'b0;
    end else begin : g_fit
      logic [RW-OW:0] upper;   // the bits that must all equal the sign bit
      logic out_of_range;
      assign upper = rounded[RW-1:OW-1];
      assign out_of_range = !((&upper) || !(|upper));
      assign overflowed = out_of_range;
      assign y = (out_of_range && !o)
                 ? (rounded[RW-1] ? {1'b1, {(OW-1){1'b0}}} : {1'b0, {(OW-1){1'b1}}})   // saturate
                 : rounded[OW-1:0];                                                    // in range, or wrap
    end
  endgenerate
endmodule
