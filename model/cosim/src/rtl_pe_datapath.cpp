#include "sheafsim/cosim/rtl_pe_datapath.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "sheafsim/arch/mesh_trace.h"
#include "sheafsim/base/error.h"
#include "sheafsim/cosim/pe_core_driver.h"
#include "sheafsim/mesh/mesh_context.h"

namespace sheafsim::mesh {

FixedConfig rtl_pe_formats() { return PeCoreDriver::formats(); }

std::string rtl_pe_parameter_set() { return PeCoreDriver::parameter_set(); }

void check_rtl_pe_config(const FixedConfig& cfg) {
  const FixedConfig r = rtl_pe_formats();
  const auto fail = [&](const char* what, const std::string& want, const std::string& got) {
    throw InputError(fmt::format("--rtl-pe: the verilated PE (parameter set {}) has {} {}, this run uses {}",
                                 rtl_pe_parameter_set(), what, want, got));
  };
  if (cfg.stalk != r.stalk) fail("--stalk-format", r.stalk.str(), cfg.stalk.str());
  if (cfg.weight != r.weight) fail("--weight-format", r.weight.str(), cfg.weight.str());
  if (cfg.bias != r.bias) fail("--bias-format", r.bias.str(), cfg.bias.str());
  if (cfg.residual != r.residual) fail("--residual-format", r.residual.str(), cfg.residual.str());
  if (cfg.constant != r.constant) fail("--constant-format", r.constant.str(), cfg.constant.str());
  if (cfg.acc_bits != r.acc_bits) fail("--acc-bits", std::to_string(r.acc_bits), std::to_string(cfg.acc_bits));
}

void check_rtl_pe_timing(const MeshConfig& m) {
  const auto need = [&](const char* what, int want, int got) {
    if (want != got)
      throw InputError(fmt::format("--rtl-timing: the verilated PE has {} {}, this run uses {} (the mesh must time the RTL's PE)",
                                   what, want, got));
  };
  need("--lanes", PeCoreDriver::lanes(), m.lanes);
  need("--sram-latency", PeCoreDriver::sram_latency(), m.sram_latency);
  need("--mac-pipeline", PeCoreDriver::mac_pipeline(), m.mac_pipeline);
  need("--update-pipeline", PeCoreDriver::update_pipeline(), m.update_pipeline);
}

namespace {

PeOp op_of(int phase) {
  switch (phase) {
    case kPhaseForward: return PeOp::Forward;
    case kPhaseBackward: return PeOp::Backward;
    case kPhaseHebbian: return PeOp::Hebbian;
    case kPhaseUpdate: return PeOp::Update;
    default: return PeOp::Merge;
  }
}

// Every chunk of every phase of a PE's tiles runs on its RTL PE as one command.
class RtlPeDatapath final : public PeDatapath {
 public:
  RtlPeDatapath(int pe, const MeshContext& ctx, RtlPeStats* stats, bool timing)
      : pe_(pe), ctx_(ctx), stats_(stats), timing_(timing) {}

  void forward(const Tile& t, int B, const IMatrix& W, const IVector& b, TileOperand& in, PartialSums& out) override {
    const std::vector<std::int64_t>& a = in.raw();
    const auto rows = static_cast<std::uint64_t>(t.r1 - t.r0), cols = static_cast<std::uint64_t>(t.c1 - t.c0);
    fx::wide* psum = out.use_wide(static_cast<size_t>(rows) * static_cast<size_t>(B));
    constants();
    for (int k = 0; k < ctx_.chunks(); ++k) {
      const std::uint64_t s0 = first_sample(k), n = ctx_.chunk_size(k);
      PeCommand cmd;
      cmd.op = PeOp::Forward;
      cmd.outputs = rows * n;  // chains (s, i) over the columns j
      cmd.terms = cols;
      cmd.bias = t.has_bias();
      const std::uint64_t cycles = run(
          cmd,
          [&](std::uint64_t o, std::uint64_t j, PeLaneOperands& d) {
            const std::uint64_t s = s0 + o / rows, i = o % rows;
            d.x = W(t.r0 + static_cast<int>(i), t.c0 + static_cast<int>(j));
            d.y = a[s * cols + j];
            d.bias = t.has_bias() ? b(t.r0 + static_cast<int>(i)) : 0;
          },
          [&](const PeLaneResult& r) { psum[(s0 + r.index / rows) * rows + r.index % rows] = r.sum; });
      record_values(kPhaseForward, t, k, cycles, cmd.outputs * cmd.terms);
    }
    out.measure_bound();
  }

  void backward(const Tile& t, int B, const IMatrix& W, TileOperand& in, PartialSums& out) override {
    const std::vector<std::int64_t>& u = in.raw();
    const auto rows = static_cast<std::uint64_t>(t.r1 - t.r0), cols = static_cast<std::uint64_t>(t.c1 - t.c0);
    fx::wide* bsum = out.use_wide(static_cast<size_t>(cols) * static_cast<size_t>(B));
    constants();
    for (int k = 0; k < ctx_.chunks(); ++k) {
      const std::uint64_t s0 = first_sample(k), n = ctx_.chunk_size(k);
      PeCommand cmd;
      cmd.op = PeOp::Backward;
      cmd.outputs = cols * n;  // chains (s, j) over the rows i
      cmd.terms = rows;
      const std::uint64_t cycles = run(
          cmd,
          [&](std::uint64_t o, std::uint64_t i, PeLaneOperands& d) {
            const std::uint64_t s = s0 + o / cols, j = o % cols;
            d.x = W(t.r0 + static_cast<int>(i), t.c0 + static_cast<int>(j));
            d.y = u[s * rows + i];
          },
          [&](const PeLaneResult& r) { bsum[(s0 + r.index / cols) * cols + r.index % cols] = r.sum; });
      record_values(kPhaseBackward, t, k, cycles, cmd.outputs * cmd.terms);
    }
    out.measure_bound();
  }

  void hebbian_update(const Tile& t, int B, TileOperand& u_in, TileOperand& a_in, const IMatrix& W, const IVector& b,
                      TileWrites& out) override {
    const std::vector<std::int64_t>& u = u_in.raw();
    const std::vector<std::int64_t>& a = a_in.raw();
    const auto rows = static_cast<std::uint64_t>(t.r1 - t.r0), cols = static_cast<std::uint64_t>(t.c1 - t.c0);
    const std::uint64_t syn = rows * cols, nb = t.has_bias() ? rows : 0;
    if (static_cast<std::uint64_t>(B) >> PeCoreDriver::guard_bits())
      throw InputError(fmt::format("--rtl-pe: a batch of {} samples is more than the PE's accumulator guard bits allow (2^{})",
                                   B, PeCoreDriver::guard_bits()));
    constants();
    // The Hebbian sums: chains (j, i) over the samples, column-major so that
    // the chains of column 0 (the first `rows`) also give the bias sums h(i).
    H_.assign(syn, 0);
    h_.assign(nb, 0);
    out.w_acc_wrapped.assign(syn, 0);
    out.b_acc_wrapped.assign(nb, 0);
    PeCommand heb;
    heb.op = PeOp::Hebbian;
    heb.outputs = syn;
    heb.terms = static_cast<std::uint64_t>(B);
    heb.hsum = nb;
    heb.sram = false;
    const std::uint64_t heb_cycles = run(
        heb,
        [&](std::uint64_t o, std::uint64_t s, PeLaneOperands& d) {
          const std::uint64_t j = o / rows, i = o % rows;
          d.x = u[s * rows + i];
          d.y = a[s * cols + j];
        },
        [&](const PeLaneResult& r) {
          const std::uint64_t j = r.index / rows, i = r.index % rows, e = i * cols + j;
          H_[e] = r.sum;
          out.w_acc_wrapped[e] = r.wrapped;
          if (r.wrapped && stats_) ++stats_->acc_wraps;
          if (r.index < nb) {
            h_[i] = r.hsum;
            out.b_acc_wrapped[i] = r.hwrapped;
            if (r.hwrapped && stats_) ++stats_->acc_wraps;
          }
        });
    record_values(kPhaseHebbian, t, 0, heb_cycles, syn * heb.terms);
    // The writes: weights row-major, then the biases (TileWrites' order).
    out.w.assign(syn, edge::Write{});
    out.b.assign(nb, edge::Write{});
    PeCommand upd;
    upd.op = PeOp::Update;
    upd.outputs = syn + nb;
    upd.terms = 1;
    upd.layer = t.layer;
    const std::uint64_t upd_cycles = run(
        upd,
        [&](std::uint64_t c, std::uint64_t, PeLaneOperands& d) {
          if (c < syn) {
            const std::uint64_t i = c / cols, j = c % cols;
            d.x = W(t.r0 + static_cast<int>(i), t.c0 + static_cast<int>(j));
            d.wide = H_[c];
            d.row = static_cast<std::uint32_t>(t.r0 + static_cast<int>(i));
            d.col = static_cast<std::uint32_t>(t.c0 + static_cast<int>(j));
          } else {
            const auto i = static_cast<int>(c - syn);
            d.bias = b(t.r0 + i);
            d.wide = h_[c - syn];
            d.upd_bias = true;
            d.row = static_cast<std::uint32_t>(t.r0 + i);
          }
        },
        [&](const PeLaneResult& r) {
          edge::Write& w = r.index < syn ? out.w[r.index] : out.b[r.index - syn];
          w.value = r.reg;
          w.saturated = r.saturated;
          w.lost = r.lost;
        });
    record_values(kPhaseUpdate, t, 0, upd_cycles, syn + nb);
  }

  std::uint64_t chunk_cycles(const PeChunk& c, std::uint64_t annotated) override {
    const Tile& t = ctx_.map->tiles()[static_cast<size_t>(c.tile)];
    std::uint64_t rtl = 0;
    const auto it = runs_.find(key(c.phase, c.tile, c.k));
    if (it != runs_.end() && it->second.valued && it->second.step == ctx_.step) {
      rtl = it->second.cycles;
    } else {
      // The chunk's operands are not in the model yet (it computes a phase's
      // values at its last chunk): run the chunk for its cycles on zero operands.
      // The values run later must take as many (checked in record_values).
      PeCommand cmd;
      cmd.op = op_of(c.phase);
      cmd.outputs = c.shape.outputs;
      cmd.terms = c.shape.terms;
      cmd.sram = c.shape.sram;
      cmd.bias = c.phase == kPhaseForward && t.has_bias();
      cmd.hsum = 0;
      cmd.layer = t.layer;
      constants();
      rtl = run(cmd, [](std::uint64_t, std::uint64_t, PeLaneOperands&) {}, [](const PeLaneResult&) {});
      if (c.phase != kPhaseMerge) runs_[key(c.phase, c.tile, c.k)] = Run{rtl, false, ctx_.step};
      if (stats_) ++stats_->timing_only_chunks;
    }
    if (stats_) note(c, annotated, rtl);
    return timing_ ? rtl : annotated;
  }

 private:
  struct Run {
    std::uint64_t cycles = 0;
    bool valued = false;  // a run with the chunk's operands (else timing only)
    std::uint64_t step = 0;
  };
  static std::tuple<int, int, int> key(int phase, int tile, int k) { return {phase, tile, k}; }

  // One chunk on the RTL; its clock cycles (reset included, the first time) go to the statistics.
  std::uint64_t run(const PeCommand& cmd, const PeCoreDriver::Operands& operands, const PeCoreDriver::Results& results) {
    const std::uint64_t before = clocked_;
    const std::uint64_t cycles = core_.run(cmd, operands, results);
    clocked_ = core_.total_cycles();
    if (stats_) stats_->rtl_cycles += clocked_ - before;
    return cycles;
  }

  std::uint64_t first_sample(int k) const { return ctx_.chunk_samples * static_cast<std::uint64_t>(k); }

  void constants() {
    if (ctx_.step >> PeCoreDriver::step_bits())
      throw InputError(fmt::format("--rtl-pe: step {} does not fit the PE's {}-bit step counter", ctx_.step,
                                   PeCoreDriver::step_bits()));
    core_.set_constants({ctx_.fx, ctx_.eta_raw, ctx_.step});
  }

  // A chunk run with its operands; a timing-only run of the same chunk this step must have taken as long.
  void record_values(int phase, const Tile& t, int k, std::uint64_t cycles, std::uint64_t ops) {
    const int tile = static_cast<int>(&t - ctx_.map->tiles().data());
    Run& r = runs_[key(phase, tile, k)];
    if (!r.valued && r.step == ctx_.step && r.cycles != 0 && r.cycles != cycles)
      throw std::logic_error(fmt::format("RTL PE {}: chunk {} of phase {} of tile {} took {} cycles on zero operands and {} on its own",
                                         pe_, k, phase, tile, r.cycles, cycles));
    r = Run{cycles, true, ctx_.step};
    if (stats_) stats_->operations += ops;
  }

  void note(const PeChunk& c, std::uint64_t model, std::uint64_t rtl) {
    // Mesh steps run one kernel run after another: a new step number starts a new entry.
    std::vector<RtlStepTiming>& steps = stats_->steps;
    if (steps.empty() || steps.back().step != ctx_.step) {
      steps.emplace_back();
      steps.back().step = ctx_.step;
    }
    RtlStepTiming& s = steps.back();
    ++s.chunks;
    s.model_chunk_cycles += model;
    s.rtl_chunk_cycles += rtl;
    if (model != rtl) ++s.differing_chunks;
    if (stats_->keep_chunks)
      stats_->chunks.push_back(RtlChunkRecord{ctx_.step, pe_, c.tile, c.phase, c.k, model, rtl});
  }

  int pe_;
  const MeshContext& ctx_;
  RtlPeStats* stats_;
  bool timing_;
  PeCoreDriver core_;
  std::uint64_t clocked_ = 0;  // core_.total_cycles() already counted
  std::map<std::tuple<int, int, int>, Run> runs_;  // (phase, tile, chunk): this PE's latest run
  std::vector<std::int64_t> H_, h_;
};

}  // namespace

PeDatapathFactory rtl_pe_datapath(RtlPeStats* stats, bool timing) {
  return [stats, timing](int pe, const MeshContext& ctx) -> std::unique_ptr<PeDatapath> {
    check_rtl_pe_config(ctx.fx);
    if (timing) check_rtl_pe_timing(ctx.mesh);
    for (const Tile& t : ctx.map->tiles())
      if (std::max(t.r1, t.c1) > (1 << PeCoreDriver::index_bits()))
        throw InputError(fmt::format("--rtl-pe: layer {} has more than 2^{} neurons, the PE's row/column index width",
                                     t.layer, PeCoreDriver::index_bits()));
    return std::make_unique<RtlPeDatapath>(pe, ctx, stats, timing);
  };
}

}  // namespace sheafsim::mesh
