`timescale 1ns/1ps
// Simulation models of the cells of rtl/lib/sheafsim45.lib (functions only,
// no delays) for the gate-level check of the cell-mapped netlists
// (tb/gate/edge_unit_gate_tb.sv). Pin names as in the liberty.
module INV_X1 (input A, output ZN); assign ZN = ~A; endmodule
module BUF_X1 (input A, output Z); assign Z = A; endmodule
module NAND2_X1 (input A1, A2, output ZN); assign ZN = ~(A1 & A2); endmodule
module NOR2_X1 (input A1, A2, output ZN); assign ZN = ~(A1 | A2); endmodule
module AND2_X1 (input A1, A2, output ZN); assign ZN = A1 & A2; endmodule
module OR2_X1 (input A1, A2, output ZN); assign ZN = A1 | A2; endmodule
module XOR2_X1 (input A, B, output Z); assign Z = A ^ B; endmodule
module XNOR2_X1 (input A, B, output ZN); assign ZN = ~(A ^ B); endmodule
module AOI21_X1 (input A, B1, B2, output ZN); assign ZN = ~(A | (B1 & B2)); endmodule
module OAI21_X1 (input A, B1, B2, output ZN); assign ZN = ~(A & (B1 | B2)); endmodule
module MUX2_X1 (input A, B, S, output Z); assign Z = S ? B : A; endmodule
module LOGIC0_X1 (output Z); assign Z = 1'b0; endmodule
module LOGIC1_X1 (output Z); assign Z = 1'b1; endmodule
module DFF_X1 (input D, CK, output reg Q, output QN);
  always @(posedge CK) Q <= D;
  assign QN = ~Q;
endmodule
