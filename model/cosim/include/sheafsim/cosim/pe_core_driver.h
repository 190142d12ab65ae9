#pragma once
// The verilated RTL processing element (rtl/pe_core.sv), clocked cycle by
// cycle: the driver plays the PE's SRAM and buffers (it answers each operand
// read the RTL issues, after the read latency) and hands back each result
// the cycle it appears. A chunk's cycle count is the RTL's own: from the
// cycle after the command is accepted to the cycle `done` is high.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "sheafsim/fixed/fixed_config.h"

namespace sheafsim::mesh {

// pe_core.sv cmd_op codes.
enum class PeOp { Forward = 0, Backward = 1, Hebbian = 2, Update = 3, Merge = 4 };

struct PeCommand {
  PeOp op = PeOp::Forward;
  std::uint64_t outputs = 1, terms = 1;  // chains and terms per chain (Update: writes, 1)
  bool bias = false;                     // Forward: chains start at b << sb
  std::uint64_t hsum = 0;                // Hebbian: chains 0..hsum-1 also give the bias sums
  bool sram = true;                      // operands from the SRAM (read latency), else from buffers
  int layer = 0;                         // Update: the layer (stochastic-rounding site)
};

// One lane's operands for (output, term) (pe_core.sv d_*; raw integers).
struct PeLaneOperands {
  std::int64_t x = 0, y = 0, bias = 0;  // w or u; a or u; b
  std::int64_t wide = 0, init = 0;      // passing sum or H / h; own partial sum
  bool upd_bias = false;
  std::uint32_t row = 0, col = 0;
};

// One result (pe_core.sv res_*): a chain's sum (and bias sum), or a write.
struct PeLaneResult {
  std::uint64_t index = 0;
  std::int64_t sum = 0, hsum = 0;  // wrapped to the accumulator, sign-extended
  bool wrapped = false, hwrapped = false;
  std::int64_t reg = 0;            // the written value (Update)
  bool saturated = false, lost = false;
};

// The step's constants of the writes.
struct PeStepConstants {
  FixedConfig fx;
  std::int64_t eta_raw = 0;
  std::uint64_t step = 0;
};

class PeCoreDriver {
 public:
  using Operands = std::function<void(std::uint64_t output, std::uint64_t term, PeLaneOperands&)>;
  using Results = std::function<void(const PeLaneResult&)>;

  PeCoreDriver();
  ~PeCoreDriver();
  PeCoreDriver(const PeCoreDriver&) = delete;
  PeCoreDriver& operator=(const PeCoreDriver&) = delete;

  void set_constants(const PeStepConstants& c);
  // Runs one chunk; returns its cycles. Throws std::logic_error when the RTL
  // misbehaves (not ready, a result missing, more results than outputs).
  std::uint64_t run(const PeCommand& cmd, const Operands& operands, const Results& results);
  std::uint64_t total_cycles() const;  // every cycle clocked, reset included

  // The verilated parameters.
  static FixedConfig formats();
  static std::string parameter_set();
  static int lanes();
  static int sram_latency();
  static int mac_pipeline();
  static int update_pipeline();
  static int index_bits();   // row / column index width of the writes
  static int step_bits();    // step counter width
  static int guard_bits();   // chains of up to 2^guard_bits terms

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sheafsim::mesh
