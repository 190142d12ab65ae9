`timescale 1ns/1ps
// pe_mac_lane: one MAC lane of the processing element (rtl/pe_core.sv), with
// its accumulator register in the lane, so a dependent chain issues one
// multiply-accumulate per cycle (the accumulator loop is one adder, the
// product is registered before it). Three stages, MAC_PIPELINE = 3:
//   S1 operands registered, S2 product (or addend) registered,
//   S3 acc = (first ? init : acc) + product.
// A chain is the terms of one output: in_first on its first term (the
// accumulator starts from in_init: the aligned bias b << sb, a passing sum, or
// 0), in_last on its last; out_valid is high for one cycle with the result in
// the cycle after S3 took the last term. No back-pressure: the PE writes the
// result to its output buffer in that cycle.
//
// Exactness (docs/fixed-point.md §4): the accumulator has GUARD_W bits above
// ACC_W, so the exact sum of up to 2^GUARD_W terms of magnitude below
// 2^(ACC_W-1) is held; out_sum is its low ACC_W bits (the wrapped sum of
// edge::mac) and out_wrapped tells whether the exact final sum left the
// ACC_W-bit range (what the model counts as an accumulator saturation).
// With in_hsum the lane also sums its x operands (the residual u of a
// Hebbian chain) in a second accumulator: the bias sum h(i) = sum_s u(s, i),
// computed alongside the weight sum H(i, 0) in the same cycles.
module pe_mac_lane #(
  parameter int XW = 16,       // x operand width (weight or residual)
  parameter int YW = 16,       // y operand width (stalk or residual)
  parameter int ACC_W = 48,
  parameter int GUARD_W = 16,
  parameter int IDX_W = 24
) (
  input  logic                    clk,
  input  logic                    rst_n,
  input  logic                    in_valid,
  input  logic                    in_first,
  input  logic                    in_last,
  input  logic                    in_add,     // the term is in_addend (a passing sum), not x * y
  input  logic                    in_hsum,    // also sum x into the bias-sum accumulator
  input  logic signed [XW-1:0]    in_x,
  input  logic signed [YW-1:0]    in_y,
  input  logic signed [ACC_W-1:0] in_addend,
  input  logic signed [ACC_W-1:0] in_init,    // the chain's start value (with in_first)
  input  logic [IDX_W-1:0]        in_index,   // the output's index, returned with it
  output logic                    out_valid,
  output logic [IDX_W-1:0]        out_index,
  output logic signed [ACC_W-1:0] out_sum,
  output logic                    out_wrapped,
  output logic signed [ACC_W-1:0] out_hsum,
  output logic                    out_hwrapped
);
  // Read by rtl/pe_params.cmake for the mesh's timing model (mac_pipeline).
  /* verilator lint_off UNUSEDPARAM */
  localparam int MAC_PIPELINE = 3;
  /* verilator lint_on UNUSEDPARAM */
  localparam int EW = ACC_W + GUARD_W;

  // ------------------------------------------------- S1: operands
  logic v1, first1, last1, add1, hs1;
  logic signed [XW-1:0] x1;
  logic signed [YW-1:0] y1;
  logic signed [ACC_W-1:0] addend1, init1;
  logic [IDX_W-1:0] idx1;
  // ------------------------------------------------- S2: product
  logic v2, first2, last2;
  logic signed [EW-1:0] p2, h2, init2;
  logic [IDX_W-1:0] idx2;
  // ------------------------------------------------- S3: accumulators
  logic v3;
  logic signed [EW-1:0] acc, hacc;
  logic [IDX_W-1:0] idx3;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      v1 <= 1'b0;
      v2 <= 1'b0;
      v3 <= 1'b0;
    end else begin
      v1 <= in_valid;
      v2 <= v1;
      v3 <= v2 && last2;
    end
  end

  // Data registers load only with a valid term (no toggling on bubbles).
  always_ff @(posedge clk) begin
    if (in_valid) begin
      first1 <= in_first;
      last1 <= in_last;
      add1 <= in_add;
      hs1 <= in_hsum;
      x1 <= in_x;
      y1 <= in_y;
      addend1 <= in_addend;
      init1 <= in_init;
      idx1 <= in_index;
    end
    if (v1) begin
      first2 <= first1;
      last2 <= last1;
      p2 <= add1 ? EW'(addend1) : EW'(x1 * y1);
      h2 <= hs1 ? EW'(x1) : '0;
      init2 <= EW'(init1);
      idx2 <= idx1;
    end
    if (v2) begin
      acc <= (first2 ? init2 : acc) + p2;
      hacc <= (first2 ? '0 : hacc) + h2;
      idx3 <= idx2;
    end
  end

  // The bits above ACC_W - 1 must all equal the sign bit of the ACC_W-bit sum.
  logic [GUARD_W:0] acc_upper, hacc_upper;
  assign acc_upper = acc[EW-1:ACC_W-1];
  assign hacc_upper = hacc[EW-1:ACC_W-1];

  assign out_valid = v3;
  assign out_index = idx3;
  assign out_sum = acc[ACC_W-1:0];
  assign out_wrapped = !((&acc_upper) || !(|acc_upper));
  assign out_hsum = hacc[ACC_W-1:0];
  assign out_hwrapped = !((&hacc_upper) || !(|hacc_upper));
endmodule
