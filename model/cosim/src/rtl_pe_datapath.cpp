#include "sheafsim/cosim/rtl_pe_datapath.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "edge_unit_set.h"  // the set and the verilated model (includes systemc.h; kept to this file)
#include "sheafsim/base/error.h"
#include "sheafsim/mesh/mesh_context.h"

namespace sheafsim::mesh {

FixedConfig rtl_pe_formats() { return rtlset::formats(); }

std::string rtl_pe_parameter_set() { return rtlset::kName; }

void check_rtl_pe_config(const FixedConfig& cfg) {
  const FixedConfig r = rtl_pe_formats();
  const auto fail = [&](const char* what, const std::string& want, const std::string& got) {
    throw InputError(fmt::format("--rtl-pe: the verilated edge unit (parameter set {}) has {} {}, this run uses {}",
                                 rtlset::kName, what, want, got));
  };
  if (cfg.stalk != r.stalk) fail("--stalk-format", r.stalk.str(), cfg.stalk.str());
  if (cfg.weight != r.weight) fail("--weight-format", r.weight.str(), cfg.weight.str());
  if (cfg.bias != r.bias) fail("--bias-format", r.bias.str(), cfg.bias.str());
  if (cfg.residual != r.residual) fail("--residual-format", r.residual.str(), cfg.residual.str());
  if (cfg.constant != r.constant) fail("--constant-format", r.constant.str(), cfg.constant.str());
  if (cfg.acc_bits != r.acc_bits) fail("--acc-bits", std::to_string(r.acc_bits), std::to_string(cfg.acc_bits));
}

namespace {

// edge_unit.sv in_op codes.
constexpr std::uint32_t kMacFwd = 0, kMacBwd = 1, kMacHeb = 2, kUpdW = 3, kUpdB = 4;

std::uint64_t low_bits(std::uint64_t v, int width) { return width >= 64 ? v : v & ((std::uint64_t{1} << width) - 1); }
std::uint32_t port32(std::int64_t v, int width) {
  return static_cast<std::uint32_t>(low_bits(static_cast<std::uint64_t>(v), width));
}
std::int64_t sign_extend(std::uint64_t v, int width) {
  const std::uint64_t m = std::uint64_t{1} << (width - 1);
  return static_cast<std::int64_t>((low_bits(v, width) ^ m) - m);
}

// One operation of the unit and its result.
struct Op {
  std::uint32_t op = 0;
  fx::wide acc = 0;
  std::int64_t w = 0, b = 0, a = 0, r = 0;
  std::uint32_t layer = 0, row = 0, col = 0;
};
struct Result {
  fx::wide acc = 0;
  std::int64_t reg = 0;
  bool wrapped = false, saturated = false, lost = false;
};

class RtlPeDatapath final : public sc_core::sc_module, public PeDatapath {
 public:
  RtlPeDatapath(const sc_core::sc_module_name& name, int pe, const MeshContext& ctx, RtlPeStats* stats)
      : sc_module(name), dut_("edge_unit"), pe_(pe), ctx_(ctx), stats_(stats) {
    dut_.clk(clk_);
    dut_.rst_n(rst_n_);
    dut_.in_valid(in_valid_);
    dut_.in_ready(in_ready_);
    dut_.in_op(in_op_);
    dut_.in_tag(in_tag_);
    dut_.in_acc(in_acc_);
    dut_.in_w(in_w_);
    dut_.in_b(in_b_);
    dut_.in_a(in_a_);
    dut_.in_r(in_r_);
    dut_.in_eta(in_eta_);
    dut_.in_seed(in_seed_);
    dut_.in_step(in_step_);
    dut_.in_layer(in_layer_);
    dut_.in_row(in_row_);
    dut_.in_col(in_col_);
    dut_.cfg_quant(cfg_quant_);
    dut_.cfg_ovf(cfg_ovf_);
    dut_.out_valid(out_valid_);
    dut_.out_ready(out_ready_);
    dut_.out_op(out_op_);
    dut_.out_tag(out_tag_);
    dut_.out_acc(out_acc_);
    dut_.out_reg(out_reg_);
    dut_.out_acc_wrapped(out_acc_wrapped_);
    dut_.out_saturated(out_saturated_);
    dut_.out_lost(out_lost_);
  }

  void forward(const Tile& t, int B, const IMatrix& W, const IVector& b, TileOperand& in,
               PartialSums& out) override {
    const std::vector<std::int64_t>& a = in.raw();
    const int rows = t.r1 - t.r0, cols = t.c1 - t.c0;
    const int sb = ctx_.fx.weight.frac_bits + ctx_.fx.stalk.frac_bits - ctx_.fx.bias.frac_bits;
    // Chains (s, i), one MAC per column j; the bias enters as the chain's first accumulator value.
    out.use_wide(static_cast<size_t>(rows) * static_cast<size_t>(B));
    std::vector<fx::wide>& psum = out.wide;
    for (int s = 0; s < B; ++s)
      for (int i = 0; i < rows; ++i)
        psum[static_cast<size_t>(s * rows + i)] = t.has_bias() ? fx::shl(b(t.r0 + i), sb) : fx::wide{0};
    chain(psum, cols, [&](size_t c, int j, Op& o) {
      const int s = static_cast<int>(c) / rows, i = static_cast<int>(c) % rows;
      o.op = kMacFwd;
      o.w = W(t.r0 + i, t.c0 + j);
      o.a = a[static_cast<size_t>(s * cols + j)];
    });
    out.measure_bound();
  }

  void backward(const Tile& t, int B, const IMatrix& W, TileOperand& in, PartialSums& out) override {
    const std::vector<std::int64_t>& u = in.raw();
    const int rows = t.r1 - t.r0, cols = t.c1 - t.c0;
    out.kind = PartialSums::Kind::Wide;
    std::vector<fx::wide>& bsum = out.wide;
    bsum.assign(static_cast<size_t>(cols) * static_cast<size_t>(B), 0);
    chain(bsum, rows, [&](size_t c, int i, Op& o) {  // chains (s, j), one MAC per row i
      const int s = static_cast<int>(c) / cols, j = static_cast<int>(c) % cols;
      o.op = kMacBwd;
      o.w = W(t.r0 + i, t.c0 + j);
      o.r = u[static_cast<size_t>(s * rows + i)];
    });
    out.measure_bound();
  }

  void hebbian_update(const Tile& t, int B, TileOperand& u_in, TileOperand& a_in, const IMatrix& W, const IVector& b,
                      TileWrites& out) override {
    const std::vector<std::int64_t>& u = u_in.raw();
    const std::vector<std::int64_t>& a = a_in.raw();
    const int rows = t.r1 - t.r0, cols = t.c1 - t.c0;
    const auto n = static_cast<size_t>(rows) * static_cast<size_t>(cols);
    const size_t nb = t.has_bias() ? static_cast<size_t>(rows) : 0;
    // Accumulators: H(i, j) for the weights, then h(i) for the biases, one MAC per sample.
    // The bias sum is the Hebbian product with a unit activation (raw 1): sum_s u.
    std::vector<fx::wide> acc(n + nb, 0);
    std::vector<unsigned char> wrapped(n + nb, 0);
    chain(acc, B, [&](size_t c, int s, Op& o) {
      o.op = kMacHeb;
      if (c < n) {
        const int i = static_cast<int>(c) / cols, j = static_cast<int>(c) % cols;
        o.r = u[static_cast<size_t>(s * rows + i)];
        o.a = a[static_cast<size_t>(s * cols + j)];
      } else {
        o.r = u[static_cast<size_t>(s * rows) + (c - n)];
        o.a = 1;
      }
    }, &wrapped);
    // The writes.
    ops_.assign(n + nb, Op{});
    for (size_t c = 0; c < n + nb; ++c) {
      Op& o = ops_[c];
      o.acc = acc[c];
      o.layer = static_cast<std::uint32_t>(t.layer);
      if (c < n) {
        const int i = static_cast<int>(c) / cols, j = static_cast<int>(c) % cols;
        o.op = kUpdW;
        o.w = W(t.r0 + i, t.c0 + j);
        o.row = static_cast<std::uint32_t>(t.r0 + i);
        o.col = static_cast<std::uint32_t>(t.c0 + j);
      } else {
        o.op = kUpdB;
        o.b = b(t.r0 + static_cast<int>(c - n));
        o.row = static_cast<std::uint32_t>(t.r0) + static_cast<std::uint32_t>(c - n);
      }
    }
    run(ops_, res_);
    out.w.resize(n);
    out.w_acc_wrapped.resize(n);
    out.b.resize(nb);
    out.b_acc_wrapped.resize(nb);
    for (size_t c = 0; c < n + nb; ++c) {
      edge::Write& wr = c < n ? out.w[c] : out.b[c - n];
      wr.value = res_[c].reg;
      wr.saturated = res_[c].saturated;
      wr.lost = res_[c].lost;
      (c < n ? out.w_acc_wrapped[c] : out.b_acc_wrapped[c - n]) = wrapped[c];
    }
  }

 private:
  // Runs independent accumulation chains in lockstep: step k issues one
  // operation per chain (set by fill(chain, k, op)) with the chain's current
  // accumulator, and the results become the accumulators of step k + 1.
  // `wrapped`, when given, ORs each chain's out_acc_wrapped flags.
  template <class Fill>
  void chain(std::vector<fx::wide>& acc, int steps, Fill fill, std::vector<unsigned char>* wrapped = nullptr) {
    ops_.assign(acc.size(), Op{});
    for (int k = 0; k < steps; ++k) {
      for (size_t c = 0; c < acc.size(); ++c) {
        ops_[c] = Op{};
        fill(c, k, ops_[c]);
        ops_[c].acc = acc[c];
      }
      run(ops_, res_);
      for (size_t c = 0; c < acc.size(); ++c) {
        acc[c] = res_[c].acc;
        if (res_[c].wrapped) {
          if (wrapped) (*wrapped)[c] = 1;
          if (stats_) ++stats_->acc_wraps;
        }
      }
    }
  }

  // Streams ops through the unit, one per RTL clock while in_ready, and
  // collects the results in order (checked by tag).
  void run(const std::vector<Op>& ops, std::vector<Result>& res) {
    if (!reset_done_) reset();
    res.resize(ops.size());
    const FixedConfig& fx = ctx_.fx;
    if (ctx_.step >> rtlset::kStepW)
      throw InputError(fmt::format("--rtl-pe: step {} does not fit the edge unit's {}-bit step counter", ctx_.step,
                                   rtlset::kStepW));
    cfg_quant_.write(static_cast<std::uint32_t>(fx.quant));
    cfg_ovf_.write(fx.overflow == fx::Overflow::Wrap);
    in_eta_.write(port32(ctx_.eta_raw, rtlset::kWC));
    in_seed_.write(fx.seed);
    in_step_.write(static_cast<std::uint32_t>(ctx_.step));
    size_t issued = 0, done = 0;
    std::uint64_t cycles = 0, held = 0;
    while (done < ops.size()) {
      const bool valid = issued < ops.size();
      if (valid) drive(ops[issued], issued);
      in_valid_.write(valid);
      const bool ready = !backpressure();
      out_ready_.write(ready);
      clock(false);  // inputs and out_ready settle; in_ready follows out_ready combinationally
      const bool accepted = valid && in_ready_.read();
      if (out_valid_.read() && ready) {
        if (out_tag_.read() != (done & tag_mask()) || out_op_.read() != ops[done].op)
          throw std::logic_error(fmt::format("RTL edge unit of PE {}: result {} came back with tag {} op {}", pe_,
                                             done, out_tag_.read(), out_op_.read()));
        Result& r = res[done++];
        r.acc = sign_extend(out_acc_.read(), rtlset::kAccW);
        r.reg = sign_extend(out_reg_.read(), rtlset::kRegW);
        r.wrapped = out_acc_wrapped_.read();
        r.saturated = out_saturated_.read();
        r.lost = out_lost_.read();
      }
      if (!ready) ++held;
      clock(true);  // the rising edge: transfers on both sides
      if (accepted) ++issued;
      ++cycles;
    }
    if (stats_) {
      stats_->operations += ops.size();
      stats_->rtl_cycles += cycles;
      stats_->backpressure_cycles += held;
    }
  }

  void drive(const Op& o, size_t index) {
    in_op_.write(o.op);
    in_tag_.write(static_cast<std::uint32_t>(index & tag_mask()));
    in_acc_.write(low_bits(static_cast<std::uint64_t>(static_cast<fx::uwide>(o.acc)), rtlset::kAccW));
    in_w_.write(port32(o.w, rtlset::kWW));
    in_b_.write(port32(o.b, rtlset::kWB));
    in_a_.write(port32(o.a, rtlset::kWS));
    in_r_.write(port32(o.r, rtlset::kWR));
    in_layer_.write(o.layer);
    in_row_.write(o.row);
    in_col_.write(o.col);
  }

  static size_t tag_mask() { return (size_t{1} << rtlset::kTagW) - 1; }

  // Sets the clock level and lets the model evaluate: one delta cycle for the
  // signal update that wakes the model, one for its outputs to update.
  void clock(bool level) {
    clk_.write(level);
    sc_core::wait(sc_core::SC_ZERO_TIME);
    sc_core::wait(sc_core::SC_ZERO_TIME);
  }

  void reset() {
    rst_n_.write(false);
    in_valid_.write(false);
    out_ready_.write(true);
    for (int k = 0; k < 2; ++k) {
      clock(false);
      clock(true);
    }
    rst_n_.write(true);
    clock(false);
    reset_done_ = true;
  }

  // With random stalls on, out_ready drops for a quarter of the cycles (keyed by seed, PE and cycle).
  bool backpressure() {
    if (ctx_.mesh.random_stalls == 0) return false;
    const std::uint64_t h = fx::mix64(ctx_.mesh.random_stalls ^ (static_cast<std::uint64_t>(pe_) << 40) ^ fx::mix64(ready_count_++));
    return (h & 3) == 0;
  }

  rtlset::Model dut_;
  sc_core::sc_signal<bool> clk_{"clk"}, rst_n_{"rst_n"}, in_valid_{"in_valid"}, in_ready_{"in_ready"},
      cfg_ovf_{"cfg_ovf"}, out_valid_{"out_valid"}, out_ready_{"out_ready"}, out_acc_wrapped_{"out_acc_wrapped"},
      out_saturated_{"out_saturated"}, out_lost_{"out_lost"};
  sc_core::sc_signal<std::uint32_t> in_op_{"in_op"}, in_tag_{"in_tag"}, in_w_{"in_w"}, in_b_{"in_b"}, in_a_{"in_a"},
      in_r_{"in_r"}, in_eta_{"in_eta"}, in_step_{"in_step"}, in_layer_{"in_layer"}, in_row_{"in_row"},
      in_col_{"in_col"}, cfg_quant_{"cfg_quant"}, out_op_{"out_op"}, out_tag_{"out_tag"}, out_reg_{"out_reg"};
  sc_core::sc_signal<std::uint64_t> in_acc_{"in_acc"}, in_seed_{"in_seed"}, out_acc_{"out_acc"};

  int pe_;
  const MeshContext& ctx_;
  RtlPeStats* stats_;
  bool reset_done_ = false;
  std::uint64_t ready_count_ = 0;
  std::vector<Op> ops_;
  std::vector<Result> res_;
};

}  // namespace

PeDatapathFactory rtl_pe_datapath(RtlPeStats* stats) {
  return [stats](int pe, const MeshContext& ctx) -> std::unique_ptr<PeDatapath> {
    check_rtl_pe_config(ctx.fx);
    for (const Tile& t : ctx.map->tiles())
      if (std::max(t.r1, t.c1) > (1 << rtlset::kIdxW))
        throw InputError(fmt::format("--rtl-pe: layer {} has more than 2^{} neurons, the edge unit's row/column index width",
                                     t.layer, rtlset::kIdxW));
    return std::make_unique<RtlPeDatapath>(fmt::format("rtl_pe_{}", pe).c_str(), pe, ctx, stats);
  };
}

}  // namespace sheafsim::mesh
