#include "sheafsim/cosim/pe_core_driver.h"

#include <array>
#include <deque>
#include <stdexcept>
#include <type_traits>

#include <fmt/format.h>

#include "pe_core_set.h"  // the verilated model and its parameters (kept to this file)

namespace sheafsim::mesh {

namespace {

using namespace peset;
static_assert(kAccW <= 62, "the driver carries accumulator values in 64-bit integers");
constexpr int L = kLanes;

std::uint64_t mask(int w) { return w >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << w) - 1; }
std::int64_t sign_extend(std::uint64_t v, int w) {
  const std::uint64_t m = std::uint64_t{1} << (w - 1);
  return static_cast<std::int64_t>(((v & mask(w)) ^ m) - m);
}

// Bit fields of packed ports: a scalar integer (<= 64 bits) or a VlWide.
template <class T>
void put(T& sig, int lsb, int w, std::uint64_t v) {
  v &= mask(w);
  if constexpr (std::is_integral_v<T>) {
    const std::uint64_t m = mask(w) << lsb;
    sig = static_cast<T>((static_cast<std::uint64_t>(sig) & ~m) | (v << lsb));
  } else {
    for (int b = 0; b < w; ++b) {
      const int bit = lsb + b;
      auto& word = sig[static_cast<size_t>(bit / 32)];
      const std::uint32_t m = std::uint32_t{1} << (bit % 32);
      word = ((v >> b) & 1) ? (word | m) : (word & ~m);
    }
  }
}
template <class T>
std::uint64_t get(const T& sig, int lsb, int w) {
  if constexpr (std::is_integral_v<T>) {
    return (static_cast<std::uint64_t>(sig) >> lsb) & mask(w);
  } else {
    std::uint64_t v = 0;
    for (int b = 0; b < w; ++b) {
      const int bit = lsb + b;
      v |= static_cast<std::uint64_t>((sig[static_cast<size_t>(bit / 32)] >> (bit % 32)) & 1U) << b;
    }
    return v;
  }
}

}  // namespace

struct PeCoreDriver::Impl {
  Model top;
  std::uint64_t cycles = 0;
  std::deque<std::array<PeLaneOperands, L>> reads;  // operands in flight through the read latency

  Impl() {
    top.clk = 0;
    top.rst_n = 0;
    top.cmd_valid = 0;
    top.eval();
    for (int k = 0; k < 2; ++k) tick();
    top.rst_n = 1;
    top.eval();
  }
  void tick() {
    top.clk = 1;
    top.eval();
    top.clk = 0;
    top.eval();
    ++cycles;
  }
  void drive(const std::array<PeLaneOperands, L>& d) {
    for (int l = 0; l < L; ++l) {
      const PeLaneOperands& o = d[static_cast<size_t>(l)];
      put(top.d_x, l * kXW, kXW, static_cast<std::uint64_t>(o.x));
      put(top.d_y, l * kYW, kYW, static_cast<std::uint64_t>(o.y));
      put(top.d_bias, l * kWB, kWB, static_cast<std::uint64_t>(o.bias));
      put(top.d_wide, l * kAccW, kAccW, static_cast<std::uint64_t>(o.wide));
      put(top.d_init, l * kAccW, kAccW, static_cast<std::uint64_t>(o.init));
      put(top.d_upd_bias, l, 1, o.upd_bias ? 1 : 0);
      put(top.d_row, l * kIdxW, kIdxW, o.row);
      put(top.d_col, l * kIdxW, kIdxW, o.col);
    }
  }
};

PeCoreDriver::PeCoreDriver() : impl_(std::make_unique<Impl>()) {}
PeCoreDriver::~PeCoreDriver() { impl_->top.final(); }

void PeCoreDriver::set_constants(const PeStepConstants& c) {
  Model& t = impl_->top;
  t.cfg_quant = static_cast<std::uint8_t>(c.fx.quant);
  t.cfg_ovf = c.fx.overflow == fx::Overflow::Wrap;
  t.cfg_eta = static_cast<std::uint32_t>(static_cast<std::uint64_t>(c.eta_raw) & mask(kWC));
  t.cfg_seed = c.fx.seed;
  t.cfg_step = static_cast<std::uint32_t>(c.step & mask(kStepW));
}

std::uint64_t PeCoreDriver::run(const PeCommand& cmd, const Operands& operands, const Results& results) {
  Impl& m = *impl_;
  Model& t = m.top;
  if (cmd.outputs == 0 || cmd.terms == 0 || cmd.outputs >> kCntW || cmd.terms >> kCntW || cmd.terms >> kGuardW)
    throw std::logic_error(fmt::format("RTL PE: chunk of {} outputs x {} terms is outside its counters", cmd.outputs,
                                       cmd.terms));
  t.cmd_valid = 1;
  t.cmd_op = static_cast<std::uint8_t>(cmd.op);
  t.cmd_outputs = static_cast<std::uint32_t>(cmd.outputs);
  t.cmd_terms = static_cast<std::uint32_t>(cmd.terms);
  t.cmd_bias = cmd.bias;
  t.cmd_hsum = static_cast<std::uint32_t>(cmd.hsum);
  t.cmd_sram = cmd.sram;
  t.cmd_layer = static_cast<std::uint8_t>(cmd.layer);
  t.eval();
  if (!t.cmd_ready) throw std::logic_error("RTL PE: not ready for a chunk");
  m.tick();  // accepted at this edge
  t.cmd_valid = 0;
  m.reads.clear();
  const size_t lat = cmd.sram ? static_cast<size_t>(kSramLat) : 0;
  const std::uint64_t limit = (cmd.outputs / L + 1) * cmd.terms + 64 + static_cast<std::uint64_t>(kSramLat);
  std::uint64_t n = 0, got = 0;
  for (;;) {
    t.eval();
    std::array<PeLaneOperands, L> now{};
    if (t.rd_valid) {
      const std::uint64_t base = get(t.rd_base, 0, kCntW), term = get(t.rd_term, 0, kCntW);
      for (int l = 0; l < L; ++l)
        if (get(t.rd_lane_valid, l, 1)) operands(base + static_cast<std::uint64_t>(l), term, now[static_cast<size_t>(l)]);
    }
    m.reads.push_back(now);
    if (m.reads.size() > lat) {
      m.drive(m.reads.front());
      m.reads.pop_front();
    }
    t.eval();
    for (int l = 0; l < L; ++l) {
      if (!get(t.res_valid, l, 1)) continue;
      PeLaneResult r;
      r.index = get(t.res_index, l * kCntW, kCntW);
      r.sum = sign_extend(get(t.res_sum, l * kAccW, kAccW), kAccW);
      r.wrapped = get(t.res_wrapped, l, 1);
      r.hsum = sign_extend(get(t.res_hsum, l * kAccW, kAccW), kAccW);
      r.hwrapped = get(t.res_hwrapped, l, 1);
      r.reg = sign_extend(get(t.res_reg, l * kRegW, kRegW), kRegW);
      r.saturated = get(t.res_saturated, l, 1);
      r.lost = get(t.res_lost, l, 1);
      if (r.index >= cmd.outputs || ++got > cmd.outputs)
        throw std::logic_error(fmt::format("RTL PE: result {} of a chunk of {} outputs", r.index, cmd.outputs));
      results(r);
    }
    const bool done = t.done;
    m.tick();
    ++n;
    if (done) break;
    if (n > limit) throw std::logic_error(fmt::format("RTL PE: a chunk of {} outputs x {} terms never finished", cmd.outputs, cmd.terms));
  }
  if (got != cmd.outputs)
    throw std::logic_error(fmt::format("RTL PE: {} results of a chunk of {} outputs", got, cmd.outputs));
  return n;
}

std::uint64_t PeCoreDriver::total_cycles() const { return impl_->cycles; }

FixedConfig PeCoreDriver::formats() { return peset::formats(); }
std::string PeCoreDriver::parameter_set() { return kName; }
int PeCoreDriver::lanes() { return kLanes; }
int PeCoreDriver::sram_latency() { return kSramLat; }
int PeCoreDriver::mac_pipeline() { return kMacPipeline; }
int PeCoreDriver::update_pipeline() { return kUpdatePipeline; }
int PeCoreDriver::index_bits() { return kIdxW; }
int PeCoreDriver::step_bits() { return kStepW; }
int PeCoreDriver::guard_bits() { return kGuardW; }

}  // namespace sheafsim::mesh
