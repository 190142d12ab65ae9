`timescale 1ns/1ps
// pe_chunk_seq: the sequencer of one chunk of a processing element's work
// (rtl/pe_core.sv): `outputs` chains of `terms` terms each, dealt to LANES
// lanes in rounds. Round r gives lane l the output r * LANES + l (when it
// exists) and walks its terms 0..terms-1, one per cycle, so a chunk takes
// ceil(outputs / LANES) * terms issue cycles: the count the mesh's timing
// annotation uses (model/arch/include/sheafsim/arch/pe_phase_cost.h).
module pe_chunk_seq #(
  parameter int LANES = 4,
  parameter int CNT_W = 24
) (
  input  logic             clk,
  input  logic             rst_n,
  input  logic             start,      // load a chunk (only while !busy)
  input  logic [CNT_W-1:0] outputs,    // >= 1
  input  logic [CNT_W-1:0] terms,      // >= 1
  output logic             busy,       // issuing: a term of every lane in `lane_valid` this cycle
  output logic [CNT_W-1:0] base,       // the output of lane 0 (lane l: base + l)
  output logic [CNT_W-1:0] term,
  output logic             first,      // term == 0
  output logic             last,       // term == terms - 1
  output logic [LANES-1:0] lane_valid
);
  logic [CNT_W-1:0] n_out, n_terms;
  logic last_round;

  assign first = (term == '0);
  assign last = (term == n_terms - 1'b1);
  // base + LANES >= n_out, without overflowing CNT_W bits.
  assign last_round = (n_out - base) <= CNT_W'(LANES);

  always_comb
    for (int l = 0; l < LANES; l++) lane_valid[l] = busy && (CNT_W'(l) < n_out - base);

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      busy <= 1'b0;
    end else if (start && !busy) begin
      busy <= 1'b1;
      n_out <= outputs;
      n_terms <= terms;
      base <= '0;
      term <= '0;
    end else if (busy) begin
      if (last) begin
        term <= '0;
        base <= base + CNT_W'(LANES);
        if (last_round) busy <= 1'b0;
      end else begin
        term <= term + 1'b1;
      end
    end
  end
endmodule
