`timescale 1ns/1ps
// Gate-level check under Icarus Verilog: the Yosys netlist of one parameter
// set in one fixed mode (module edge_unit_gate, from rtl/synth.cmake) and the
// RTL edge_unit with the same parameters get the same random stimulus (random
// operations, operands biased to corners, random in_valid gaps and out_ready);
// in_ready, out_valid and, while out_valid, every output must agree in every
// cycle. (The RTL itself is checked against the C++ library by the Verilator
// testbenches; this shows that synthesis preserved it.)
//
// The netlist is mapped to the cells of rtl/lib/sheafsim45.lib (simulation
// models in rtl/lib/sheafsim45_cells.v).
//
// Plusargs: +cycles=N (default 20000), +seed=S (default 1).
module edge_unit_gate_tb;
  parameter int S_I = 3, S_F = 5, W_I = 2, W_F = 6, B_I = 4, B_F = 4, R_I = 3, R_F = 5, C_I = 1, C_F = 15;
  parameter int ACC_W = 18;
  parameter int QUANT = 4;
  parameter int OVF = 0;
  localparam int WS = S_I + S_F, WW = W_I + W_F, WB = B_I + B_F, WR = R_I + R_F, WC = C_I + C_F;
  localparam int REG_W = (WW > WB) ? WW : WB;

  logic clk = 1'b0, rst_n = 1'b0;
  logic in_valid = 1'b0, out_ready = 1'b0;
  logic [2:0] in_op = '0;
  logic [7:0] in_tag = '0;
  logic [ACC_W-1:0] in_acc = '0;
  logic [WW-1:0] in_w = '0;
  logic [WB-1:0] in_b = '0;
  logic [WS-1:0] in_a = '0;
  logic [WR-1:0] in_r = '0;
  logic [WC-1:0] in_eta = '0;
  logic [63:0] in_seed = '0;
  logic [31:0] in_step = '0;
  logic [7:0] in_layer = '0;
  logic [15:0] in_row = '0, in_col = '0;

  wire rtl_in_ready, gate_in_ready, rtl_out_valid, gate_out_valid;
  wire [2:0] rtl_op, gate_op;
  wire [7:0] rtl_tag, gate_tag;
  wire [ACC_W-1:0] rtl_acc, gate_acc;
  wire [REG_W-1:0] rtl_reg, gate_reg;
  wire rtl_wrapped, gate_wrapped, rtl_sat, gate_sat, rtl_lost, gate_lost;

  edge_unit #(.S_I(S_I), .S_F(S_F), .W_I(W_I), .W_F(W_F), .B_I(B_I), .B_F(B_F), .R_I(R_I), .R_F(R_F),
              .C_I(C_I), .C_F(C_F), .ACC_W(ACC_W), .QUANT(QUANT), .OVF(OVF)) rtl (
    .clk(clk), .rst_n(rst_n), .in_valid(in_valid), .in_ready(rtl_in_ready), .in_op(in_op), .in_tag(in_tag),
    .in_acc(in_acc), .in_w(in_w), .in_b(in_b), .in_a(in_a), .in_r(in_r), .in_eta(in_eta), .in_seed(in_seed),
    .in_step(in_step), .in_layer(in_layer), .in_row(in_row), .in_col(in_col), .cfg_quant(3'd0), .cfg_ovf(1'b0),
    .out_valid(rtl_out_valid), .out_ready(out_ready), .out_op(rtl_op), .out_tag(rtl_tag), .out_acc(rtl_acc),
    .out_reg(rtl_reg), .out_acc_wrapped(rtl_wrapped), .out_saturated(rtl_sat), .out_lost(rtl_lost));

  edge_unit_gate gate (
    .clk(clk), .rst_n(rst_n), .in_valid(in_valid), .in_ready(gate_in_ready), .in_op(in_op), .in_tag(in_tag),
    .in_acc(in_acc), .in_w(in_w), .in_b(in_b), .in_a(in_a), .in_r(in_r), .in_eta(in_eta), .in_seed(in_seed),
    .in_step(in_step), .in_layer(in_layer), .in_row(in_row), .in_col(in_col), .cfg_quant(3'd0), .cfg_ovf(1'b0),
    .out_valid(gate_out_valid), .out_ready(out_ready), .out_op(gate_op), .out_tag(gate_tag), .out_acc(gate_acc),
    .out_reg(gate_reg), .out_acc_wrapped(gate_wrapped), .out_saturated(gate_sat), .out_lost(gate_lost));

  int unsigned seed = 1;
  int cycles = 20000;
  int compared = 0, mismatches = 0, accepted = 0;
  int unsigned dummy;

  // A value of `width` bits biased to the corners: min, max, 0, +-1, small, any.
  function automatic logic [63:0] corner(input int width);
    logic [63:0] v;
    int unsigned pick;
    pick = $urandom % 8;
    v = {$urandom, $urandom};
    case (pick)
      0: v = 64'd1 << (width - 1);                        // most negative
      1: v = (64'd1 << (width - 1)) - 64'd1;              // most positive
      2: v = 64'd0;
      3: v = 64'd1;
      4: v = ~64'd0;                                      // -1
      5: v = v & 64'hf;                                   // small
      default: ;
    endcase
    corner = v;
  endfunction

  task automatic randomize_inputs;
    in_op = 3'($urandom % 8 < 6 ? $urandom % 5 : $urandom % 8);
    in_tag = 8'($urandom);
    in_acc = ACC_W'(corner(ACC_W));
    in_w = WW'(corner(WW));
    in_b = WB'(corner(WB));
    in_a = WS'(corner(WS));
    in_r = WR'(corner(WR));
    in_eta = WC'(($urandom % 4 == 0) ? corner(WC) : {32'd0, $urandom} >> ($urandom % WC));
    // The hash key changes only with an update: a stochastic netlist's hash
    // cones (most of its cells) then evaluate only when they matter, which
    // keeps the event-driven simulation of those netlists affordable.
    if (in_op == 3'd3 || in_op == 3'd4) begin
      in_seed = {$urandom, $urandom};
      in_step = $urandom;
      in_layer = 8'($urandom);
      in_row = 16'($urandom);
      in_col = 16'($urandom);
    end
  endtask

  always #5 clk = ~clk;

  initial begin
    if ($value$plusargs("seed=%d", seed)) ;
    if ($value$plusargs("cycles=%d", cycles)) ;
    $display("gate-level: seed %0d", seed);
    dummy = $urandom(seed);
    repeat (3) @(negedge clk);
    rst_n = 1'b1;
    for (int c = 0; c < cycles && mismatches == 0; c++) begin
      @(negedge clk);
      // Hold a pending request until it is accepted; otherwise maybe start one.
      if (!(in_valid && !rtl_in_ready)) begin
        in_valid = ($urandom % 4) != 0;
        randomize_inputs();
      end
      out_ready = ($urandom % 3) != 0;
      #1;
      if (rtl_in_ready !== gate_in_ready || rtl_out_valid !== gate_out_valid) begin
        $display("MISMATCH (handshake) at cycle %0d: in_ready rtl %b gate %b, out_valid rtl %b gate %b",
                 c, rtl_in_ready, gate_in_ready, rtl_out_valid, gate_out_valid);
        mismatches++;
      end else if (rtl_out_valid) begin
        if ({rtl_op, rtl_tag, rtl_acc, rtl_reg, rtl_wrapped, rtl_sat, rtl_lost} !==
            {gate_op, gate_tag, gate_acc, gate_reg, gate_wrapped, gate_sat, gate_lost}) begin
          $display("MISMATCH (result) at cycle %0d: rtl op %0d tag %0d acc %h reg %h flags %b%b%b, gate op %0d tag %0d acc %h reg %h flags %b%b%b",
                   c, rtl_op, rtl_tag, rtl_acc, rtl_reg, rtl_wrapped, rtl_sat, rtl_lost,
                   gate_op, gate_tag, gate_acc, gate_reg, gate_wrapped, gate_sat, gate_lost);
          mismatches++;
        end else if (out_ready) begin
          compared++;
        end
      end
      if (in_valid && rtl_in_ready) accepted++;
    end
    $display("gate-level: QUANT %0d OVF %0d, %0d cycles, %0d accepted, %0d results compared, %0d mismatches",
             QUANT, OVF, cycles, accepted, compared, mismatches);
    if (mismatches == 0 && compared > cycles / 4) $display("gate-level: PASS");
    else $display("gate-level: FAIL");
    $finish;
  end
endmodule
