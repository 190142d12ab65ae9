#pragma once
// The C++ vertex datapath (vertex_datapath.h). Each phase has three forms
// computing the same bits, each taken only where this step's bounds prove it
// exact: the exact-double vector kernels of exact_kernels.h (deterministic
// rounding modes), the 64-bit integer functions of datapath_int.h, and in
// __int128 the per-register reference functions of vertex_datapath.h in sw/
// (register_step below), so that the mesh's bit-identity tests compare the
// reference with the bit-accurate model's kernels. The residual phase is in
// vertex_datapath.cpp, the stalk updates in vertex_update.cpp.
#include <cstdint>
#include <type_traits>
#include <vector>

#include "sheafsim/fixed/datapath_int.h"
#include "sheafsim/fixed/exact_kernels.h"
#include "sheafsim/mesh/mesh_context.h"
#include "sheafsim/mesh/vertex_datapath.h"
#include "sheafsim/fixed/vertex_datapath.h"

namespace sheafsim::mesh {

// One register write in T: dpint:: for int64, the reference function for __int128.
template <typename T, fx::Quant Q, fx::Overflow O>
dpint::ResidualStep residual_step(T acc, const dpint::Shifts& k, const FixedConfig& cfg, std::uint64_t rnd) {
  if constexpr (std::is_same_v<T, fx::wide>) {
    dpint::ResidualStep r;
    r.u = vertex::residual(vertex::acc_fit(acc, cfg.acc_bits, &r.acc_wrapped), cfg, rnd);
    return r;
  } else {
    return dpint::residual<T, Q, O>(acc, k, rnd);
  }
}
template <typename T, fx::Quant Q, fx::Overflow O>
vertex::HiddenStep hidden_step(std::int64_t z, std::int64_t a, std::int64_t u, T p, std::int64_t s,
                               const dpint::Shifts& k, const FixedConfig& cfg, std::uint64_t rz, std::uint64_t ra,
                               vertex::SoftPin pz = {}, vertex::SoftPin pa = {}) {
  if constexpr (std::is_same_v<T, fx::wide>)
    return vertex::hidden_update(z, a, u, p, s, cfg, rz, ra, pz, pa);
  else
    return dpint::hidden_update<T, Q, O>(z, a, u, p, s, k, rz, ra, pz, pa);
}
template <typename T, fx::Quant Q, fx::Overflow O>
edge::Write output_step(std::int64_t z, std::int64_t u, T g_out, int g_out_frac, std::int64_t s,
                        const dpint::Shifts& k, const FixedConfig& cfg, std::uint64_t rnd, vertex::SoftPin pz = {}) {
  if constexpr (std::is_same_v<T, fx::wide>)
    return vertex::output_update(z, u, g_out, g_out_frac, s, cfg, rnd, pz);
  else
    return dpint::output_update<T, Q, O>(z, u, g_out, g_out_frac, s, k, rnd, pz);
}

class ModelVertexDatapath final : public VertexDatapath {
 public:
  ModelVertexDatapath(int group, MeshContext& ctx, UnitCounters& unit)
      : group_(group), ctx_(ctx), unit_(unit), layer_(group_of(ctx, group).layer), n0_(group_of(ctx, group).n0) {}
  Message activations() override;
  Message residuals(const Mailbox& fwd) override;
  void update(const Mailbox& bwd) override;
  void input_update(const Mailbox& bwd) override;
  std::int64_t max_change() const override;

 private:
  static constexpr int kSimdWidth = 50;  // the widest register the biased doubles hold
  static constexpr fx::uwide kExact50 = fx::uwide{1} << 50;  // |A + w| below this: one-add rounding (exact_double.h)
  static const VertexGroup& group_of(const MeshContext& ctx, int g) { return ctx.map->groups()[static_cast<size_t>(g)]; }
  const VertexGroup& group() const { return group_of(ctx_, group_); }
  int n() const { return group().n1 - group().n0; }
  int batch() const { return static_cast<int>(ctx_.batch); }
  // The exact-double forms may run: a deterministic rounding mode and IEEE round-to-nearest.
  bool doubles_ok() const { return ctx_.fx.quant != fx::Quant::Stoch && xd::exact_doubles_ok(); }

  // This group's pins (null: none): its layer's z and a, and the output vertex a_out.
  const FixedStalkPins* pins_of(const FixedStalkPins* sp) const { return sp != nullptr && sp->pinned() ? sp : nullptr; }
  const FixedStalkPins* pins_z() const {
    return ctx_.pins != nullptr ? pins_of(&ctx_.pins->z[static_cast<size_t>(layer_ - 1)]) : nullptr;
  }
  const FixedStalkPins* pins_a() const {
    return ctx_.pins != nullptr && layer_ < ctx_.L ? pins_of(&ctx_.pins->a[static_cast<size_t>(layer_ - 1)]) : nullptr;
  }
  const FixedStalkPins* pins_aout() const { return ctx_.pins != nullptr ? pins_of(&ctx_.pins->a_out) : nullptr; }
  static vertex::SoftPin soft(const FixedStalkPins* sp, Eigen::Index row) {
    return sp != nullptr ? sp->soft_row(row) : vertex::SoftPin{};
  }
  bool residuals_double(const Mailbox& fwd);
  template <typename T, fx::Quant Q, fx::Overflow O>
  void residuals_int(const Mailbox& fwd);
  bool hidden_double(const Mailbox& bwd);
  template <typename T, fx::Quant Q, fx::Overflow O>
  void hidden_int(const Mailbox& bwd);
  bool output_double();
  void output_lookup();
  template <typename T, fx::Quant Q, fx::Overflow O>
  void output_int(const std::int64_t* gl);
  // The sum of a mailbox's partial sums as doubles [s * ld + i] (padding lanes 0).
  const double* reduce_double(const Mailbox& box);
  // acc[s * ld + i] += v (kSub: -= v) for every value of the mailbox's messages, in T.
  template <bool kSub, typename T>
  void add_messages(const Mailbox& box, T* acc) const;
  // Calls f(s, ks) for every sample s of the batch, ks its stochastic-rounding
  // key (fx::stoch_sample_key; Q = Stoch only, else 0).
  template <fx::Quant Q, typename F>
  void for_samples(F&& f) const {
    const std::uint64_t k1 = Q == fx::Quant::Stoch ? fx::stoch_step_key(ctx_.fx.seed, ctx_.step) : 0;
    for (int s = 0; s < batch(); ++s)
      f(s, Q == fx::Quant::Stoch ? fx::stoch_sample_key(k1, static_cast<std::uint64_t>(s)) : std::uint64_t{0});
  }
  // The stochastic bits of the register of class cls and row n0 + i from its sample's key (0 unless Q = Stoch).
  template <fx::Quant Q>
  std::uint64_t rnd(std::uint64_t ks, FxClass cls, size_t i) const {
    if constexpr (Q == fx::Quant::Stoch)
      return fx::stoch_site_bits(ks, edge::site(cls, layer_, static_cast<std::uint64_t>(n0_) + i));
    else
      return 0;
  }
  // The scratch block of sums in T.
  template <typename T>
  std::vector<T>& sums() {
    if constexpr (std::is_same_v<T, std::int64_t>)
      return sum64_;
    else
      return sumw_;
  }
  // The group's targets as doubles (y_d_); returns a bound on max |y| (exact when below 2^51).
  fx::uwide gather_targets();
  // After an integer residual phase: u as doubles (when exact) and max |u|.
  void finish_residuals();
  // u as 64-bit integers (after a residual phase in doubles).
  void ensure_u64();
  // Adds `sat` saturations and `lost` lost updates of class cls and `wraps`
  // accumulator overflows (this group's layer).
  void count_flags(FxClass cls, std::uint64_t sat, std::uint64_t lost, std::uint64_t wraps);
  void count_flags(FxClass cls, const dpint::WriteCounts& c) { count_flags(cls, c.saturated, c.lost, c.acc_wrapped); }

  int group_;
  MeshContext& ctx_;
  UnitCounters& unit_;
  const int layer_, n0_;  // the group's layer and first neuron
  // This step's registers, stored [s * ld + i] with ld = xd::padded(n), kept
  // across steps (no allocation per step). As doubles when exact (|v| < 2^50):
  // z and a as read at the start of the step (a: or x), u, and the targets.
  std::vector<double> z_d_, a_d_, u_d_, y_d_;
  bool z_exact_ = false, a_exact_ = false, u_exact_ = false;
  // As 64-bit integers: a when it is not exact as doubles; u when the residual
  // phase ran in integers (u_int_) or was converted (ensure_u64).
  std::vector<std::int64_t> a_, u_;
  bool u_int_ = false;
  fx::uwide zmax_ = 0, amax_ = 0, umax_ = 0;  // bounds on max |z|, |a|, |u|
  std::int64_t max_change_ = 0;
  // The vectorised updates leave the largest change of z (a) to be measured
  // from z_d_ (a_d_) and the new state by max_change(), when asked.
  bool change_z_pending_ = false, change_a_pending_ = false;
  // Scratch of the reductions.
  std::vector<double> sum_d_;
  std::vector<const double*> whole_;
  std::vector<std::int64_t> sum64_;
  std::vector<fx::wide> sumw_;
  std::vector<std::int64_t> g_look_;  // the output unit's force [s * n + i], residual format
};

// acc[s * ld + (i - base)] += v (kSub: -= v) for every value v = m.value(s, i), in T:
// T = double needs m.dbl; std::int64_t takes m.narrow or the doubles (exact
// integers); fx::wide takes any message.
template <bool kSub, typename T>
void add_message(const Message& m, int base, size_t ld, int B, T* acc) {
  if constexpr (std::is_same_v<T, fx::wide>) {
    for_each_value(m, base, ld, B, [&](size_t i, fx::wide v) {
      if constexpr (kSub) acc[i] -= v;
      else acc[i] += v;
    });
  } else {
    const auto len = static_cast<size_t>(m.n1 - m.n0);
    T* a0 = acc + static_cast<size_t>(m.n0 - base);
    auto run = [&](const auto* src, size_t stride) {
      for (int s = 0; s < B; ++s) {
        T* d = a0 + static_cast<size_t>(s) * ld;
        const auto* x = src + static_cast<size_t>(s) * stride;
        for (size_t k = 0; k < len; ++k) {
          if constexpr (kSub) d[k] -= static_cast<T>(x[k]);
          else d[k] += static_cast<T>(x[k]);
        }
      }
    };
    if constexpr (std::is_same_v<T, double>) {
      run(m.dbl, m.dstride);
    } else {
      if (m.narrow != nullptr) run(m.narrow, m.stride);
      else run(m.dbl, m.dstride);
    }
  }
}

template <bool kSub, typename T>
void ModelVertexDatapath::add_messages(const Mailbox& box, T* acc) const {
  for (const Message& m : box.messages()) add_message<kSub>(m, group().n0, xd::padded(n()), batch(), acc);
}

}  // namespace sheafsim::mesh
