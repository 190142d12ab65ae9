`timescale 1ns/1ps
// edge_unit_sva: handshake assertions of the edge unit (docs/edge-unit.md §9).
//
// Written over the ports, the stage valid vector vld[LATENCY-1:0] (vld[k]:
// stage k+1 holds an operation, vld[LATENCY-1] is the output register) and
// LATENCY only, so they hold for any stage count and any split of the work
// among the stages. Clocked immediate assertions with $past: the subset that
// both Verilator (--assert) and Yosys (read_verilog -formal, yosys-smtbmc)
// accept. Every property is checked at a rising edge on the values of the
// cycle before it; nothing is checked before the first reset.
//
// Attached inside edge_unit by rtl/edge_unit_sva_attach.svh when
// EDGE_UNIT_SVA is defined (Verilator testbenches, co-simulation, lint, the
// formal harness), not with `bind`, which Yosys 0.23 parses and then ignores.
// The checker is not part of the design: no coverage points of its own (the
// coverage figures of docs/edge-unit.md §5 are the unit's).
/* verilator coverage_off */
module edge_unit_sva #(
  parameter int LATENCY = 4,
  parameter int TAG_W = 8,
  parameter int ACC_W = 48,
  parameter int REG_W = 16
) (
  input logic                    clk,
  input logic                    rst_n,
  input logic                    in_valid,
  input logic                    in_ready,
  input logic                    out_valid,
  input logic                    out_ready,
  input logic [2:0]              out_op,
  input logic [TAG_W-1:0]        out_tag,
  input logic [ACC_W-1:0]        out_acc,
  input logic [REG_W-1:0]        out_reg,
  input logic                    out_acc_wrapped,
  input logic                    out_saturated,
  input logic                    out_lost,
  input logic [LATENCY-1:0]      vld
);
  // Wide enough for 0..LATENCY and one more (an overflow must show, not wrap).
  localparam int CW = $clog2(LATENCY + 2);

  function automatic logic [CW-1:0] count_ones(input logic [LATENCY-1:0] x);
    logic [CW-1:0] n;
    n = '0;
    for (int k = 0; k < LATENCY; k++) n = n + CW'(x[k]);
    count_ones = n;
  endfunction

  // armed: a reset edge has happened (the state before it is arbitrary).
  logic armed = 1'b0;
  // Operations accepted minus results delivered since the reset.
  logic [CW-1:0] in_flight;
  logic accept, deliver;
  assign accept = in_valid && in_ready;
  assign deliver = out_valid && out_ready;

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      armed <= 1'b1;
      in_flight <= '0;
    end else begin
      in_flight <= in_flight + CW'(accept) - CW'(deliver);
    end
  end

  // The output fields, compared as one word while the output is blocked.
  localparam int OUT_W = 3 + TAG_W + ACC_W + REG_W + 3;
  logic [OUT_W-1:0] out_word;
  assign out_word = {out_op, out_tag, out_acc, out_reg, out_acc_wrapped, out_saturated, out_lost};

  always_ff @(posedge clk) begin
    if (armed) begin
      // P1 ready rule (§2): in_ready = 0 exactly when every stage is full and
      // the output is not taken.
      p1_ready_rule: assert (in_ready == !((&vld) && !out_ready));
      // P2 the output register is the last stage.
      p2_out_valid: assert (out_valid == vld[LATENCY-1]);
      // P3 no loss, no duplication: accepted - delivered = occupied stages,
      // which never exceeds LATENCY.
      p3_no_loss_no_dup: assert (in_flight == count_ones(vld));
      p3_bounded: assert (in_flight <= CW'(LATENCY));
    end
    if (armed && $past(rst_n)) begin
      // P4 a blocked result stays, unchanged in every field.
      if ($past(out_valid && !out_ready)) begin
        p4_valid_held: assert (out_valid);
        p4_output_stable: assert (out_word == $past(out_word));
      end
    end
    // P5 reset: a reset edge empties every stage.
    if (armed && !$past(rst_n)) begin
      p5_reset_empty: assert (vld == '0);
      p5_reset_no_output: assert (!out_valid);
      p5_reset_count: assert (in_flight == '0);
    end
  end
endmodule
/* verilator coverage_on */
