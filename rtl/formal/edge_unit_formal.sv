`timescale 1ns/1ps
// edge_unit_formal: top of the formal proof of the edge unit's handshake
// (docs/edge-unit.md §9). Every input of the unit is free in every cycle; the
// first cycle is a reset. Checked: the assertions of rtl/edge_unit_sva.sv
// (P1-P5) and of edge_unit_formal_tags.sv (P6, I1, I2), attached inside the
// unit with EDGE_UNIT_SVA and EDGE_UNIT_FORMAL defined.
//
// Parameters: the q8 widths with a fixed deterministic mode (rnd_conv/sat),
// so there is no 64-bit hash; the control logic (vld, en*, ld*) reads no
// parameter but LATENCY, so the proof holds for every set and mode.
module edge_unit_formal #(
  parameter int S_I = 3, parameter int S_F = 5,
  parameter int W_I = 2, parameter int W_F = 6,
  parameter int B_I = 4, parameter int B_F = 4,
  parameter int R_I = 3, parameter int R_F = 5,
  parameter int C_I = 1, parameter int C_F = 15,
  parameter int ACC_W = 18,
  parameter int QUANT = 4,
  parameter int OVF = 0,
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
  input logic                    clk,
  input logic                    rst_n,
  input logic                    in_valid,
  input logic [2:0]              in_op,
  input logic [TAG_W-1:0]        in_tag,
  input logic signed [ACC_W-1:0] in_acc,
  input logic signed [WW-1:0]    in_w,
  input logic signed [WB-1:0]    in_b,
  input logic signed [WS-1:0]    in_a,
  input logic signed [WR-1:0]    in_r,
  input logic signed [WC-1:0]    in_eta,
  input logic [63:0]             in_seed,
  input logic [STEP_W-1:0]       in_step,
  input logic [7:0]              in_layer,
  input logic [IDX_W-1:0]        in_row,
  input logic [IDX_W-1:0]        in_col,
  input logic [2:0]              cfg_quant,
  input logic                    cfg_ovf,
  input logic                    out_ready,
  // outputs, so that every result bit stays in the model
  output logic                    in_ready,
  output logic                    out_valid,
  output logic [2:0]              out_op,
  output logic [TAG_W-1:0]        out_tag,
  output logic signed [ACC_W-1:0] out_acc,
  output logic signed [REG_W-1:0] out_reg,
  output logic                    out_acc_wrapped,
  output logic                    out_saturated,
  output logic                    out_lost
);
  // The first cycle resets; later resets may come at any time.
  logic first = 1'b1;
  always_ff @(posedge clk) first <= 1'b0;
  always_comb if (first) assume (!rst_n);

  edge_unit #(
    .S_I(S_I), .S_F(S_F), .W_I(W_I), .W_F(W_F), .B_I(B_I), .B_F(B_F), .R_I(R_I), .R_F(R_F),
    .C_I(C_I), .C_F(C_F), .ACC_W(ACC_W), .QUANT(QUANT), .OVF(OVF),
    .STEP_W(STEP_W), .IDX_W(IDX_W), .TAG_W(TAG_W)
  ) u_dut (
    .clk(clk), .rst_n(rst_n),
    .in_valid(in_valid), .in_ready(in_ready), .in_op(in_op), .in_tag(in_tag),
    .in_acc(in_acc), .in_w(in_w), .in_b(in_b), .in_a(in_a), .in_r(in_r), .in_eta(in_eta),
    .in_seed(in_seed), .in_step(in_step), .in_layer(in_layer), .in_row(in_row), .in_col(in_col),
    .cfg_quant(cfg_quant), .cfg_ovf(cfg_ovf),
    .out_valid(out_valid), .out_ready(out_ready), .out_op(out_op), .out_tag(out_tag),
    .out_acc(out_acc), .out_reg(out_reg),
    .out_acc_wrapped(out_acc_wrapped), .out_saturated(out_saturated), .out_lost(out_lost)
  );
endmodule
