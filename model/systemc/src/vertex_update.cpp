// The C++ vertex datapath (model_vertex_datapath.h): the stalk updates, the
// ReLU edge of a hidden neuron, the identity output edge and the output unit
// of a sigmoid or softmax output (or of the output vertex in inference).
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sheafsim/fixed/datapath_int.h"
#include "sheafsim/fixed/exact_bounds.h"
#include "sheafsim/fixed/fixed_modes.h"
#include "sheafsim/bitacc/output_force.h"
#include "sheafsim/mesh/model_vertex_datapath.h"

namespace sheafsim::mesh {

using namespace bounds;

namespace {
std::int64_t absdiff(std::int64_t a, std::int64_t b) { return a > b ? a - b : b - a; }

// Calls f(QuantTag, OverflowTag, std::bool_constant<fit>) with the run's deterministic modes.
template <typename F>
decltype(auto) with_det_modes_fit(const FixedConfig& f, bool fit, F&& fn) {
  return fx::with_det_modes(f.quant, f.overflow, [&](auto q, auto o) {
    return fx::with_bool(fit, [&](auto kf) { return fn(q, o, kf); });
  });
}
}  // namespace

void ModelVertexDatapath::update(const Mailbox& bwd) {
  const VertexGroup& g = group();
  const FixedConfig& f = ctx_.fx;
  const dpint::Shifts k(f);
  const uwide umax = reg_max(f.residual.width()), smax = mag(ctx_.s_raw);
  // A group with pins runs the __int128 reference form (the soft pulls are outside the 64-bit and double bounds).
  const bool pinned = pins_z() != nullptr || pins_a() != nullptr;
  if (g.layer < ctx_.L) {
    if (!pinned && hidden_double(bwd)) return;
    // 64 bits when the formats and this step's magnitudes bound every intermediate below 2^63.
    ensure_u64();
    const uwide pmax = bwd.bound_sum();
    const bool narrow = !pinned && bwd.all_int64() && pmax < kInt64 &&
                        dpint::hidden_fits64(k, zmax_, amax_, umax, pmax, smax);
    dpint::with_width_and_modes(narrow, f.quant, f.overflow, [&](auto w, auto q, auto o) {
      hidden_int<typename decltype(w)::type, decltype(q)::value, decltype(o)::value>(bwd);
    });
    return;
  }
  // A sigmoid or softmax output in training, or the output vertex a_out in
  // inference: the output unit's lookup (output_force.h, the bit-accurate
  // model's function) gives g_out in the residual format.
  const bool train = ctx_.Y != nullptr;
  if (train ? ctx_.net->output != OutputKind::Identity : ctx_.st->has_output_vertex()) {
    output_lookup();
    return;
  }
  // The identity output: g_out = z - y in training (the target is pinned here), 0 in inference.
  if (!pinned && output_double()) return;
  ensure_u64();
  const uwide gmax = train ? add(zmax_, block_max_abs(*ctx_.Y, g.n0, n(), 0, batch())) : 0;
  const bool narrow = !pinned && dpint::output_fits64(k, train ? f.stalk.frac_bits : f.residual.frac_bits, zmax_, umax, gmax, smax);
  dpint::with_width_and_modes(narrow, f.quant, f.overflow, [&](auto w, auto q, auto o) {
    output_int<typename decltype(w)::type, decltype(q)::value, decltype(o)::value>(nullptr);
  });
}

// The hidden step vectorised in doubles (xd::hidden), with
// g_z = u 2^(f1-fr) - m q 2^(f1-fs), g_a = q 2^(f2-fs) - p, q = a - m z: exact
// when s |g_z| and s |g_a| (which bound every product and sum of the kernel)
// are below 2^53, the sum p of the backward sums (|p| <= their bounds) is
// below 2^53, |g_a| stays inside the accumulator (no wrap), and the rounded
// values |z + wz| = |z - s g_z 2^-dz|, |a + wa| stay below 2^50.
bool ModelVertexDatapath::hidden_double(const Mailbox& bwd) {
  const FixedConfig& f = ctx_.fx;
  if (!doubles_ok() || f.stalk.width() > kSimdWidth || ctx_.s_raw == 0 || !u_exact_ || !a_exact_ || !z_exact_ ||
      !bwd.all_double())
    return false;
  const dpint::Shifts k(f);
  const int dz = k.dz(), da = k.da();
  const uwide S = mag(ctx_.s_raw), P = bwd.bound_sum(), Q = add(zmax_, amax_);
  const uwide GZ = add(shl(umax_, k.f1 - k.fr), shl(Q, k.f1 - k.fs));
  const uwide GA = add(shl(Q, k.f2 - k.fs), P);
  const uwide ZN = add(shl(zmax_, dz), mul(S, GZ));  // >= |z + wz| 2^dz
  const uwide AN = add(shl(amax_, da), mul(S, GA));  // >= |a + wa| 2^da
  if (P >= kDouble || mul(S, GZ) >= kDouble || mul(S, GA) >= kDouble || GA >= pow2(f.acc_bits - 1) ||
      ZN >= pow2(50 + dz) || AN >= pow2(50 + da))
    return false;
  const VertexGroup& g = group();
  const double* p = reduce_double(bwd);
  const double s = static_cast<double>(ctx_.s_raw);
  xd::HiddenParams prm;
  prm.cu = -s * std::ldexp(1.0, k.f1 - k.fr - dz);
  prm.cq = -s * std::ldexp(1.0, k.f1 - k.fs - dz);
  prm.cqa = -s * std::ldexp(1.0, k.f2 - k.fs - da);
  prm.cw = s * std::ldexp(1.0, -da);
  prm.R = xd::Range::of(f.stalk);
  // No rounded value can leave the register when |z + wz|, |a + wa| <= its largest value.
  const uwide hi = static_cast<uwide>(f.stalk.max_raw());
  const bool fit = ZN > shl(hi, dz) || AN > shl(hi, da);
  const size_t li = static_cast<size_t>(g.layer - 1);
  IMatrix& Z = ctx_.st->z[li];
  IMatrix& A = ctx_.st->a[li];
  const xd::Block blk{n(), batch(), static_cast<std::ptrdiff_t>(xd::padded(n())), Z.outerStride(), A.outerStride()};
  const dpint::WriteCounts c = with_det_modes_fit(f, fit, [&](auto q, auto o, auto kf) {
    return xd::hidden<decltype(q)::value, decltype(o)::value, decltype(kf)::value, false>(
        z_d_.data(), a_d_.data(), u_d_.data(), p, blk, prm, &Z(g.n0, 0), &A(g.n0, 0));
  });
  count_flags(FxClass::Z, c.saturated, c.lost, 0);
  count_flags(FxClass::A, c.saturated_a, c.lost_a, 0);
  change_z_pending_ = change_a_pending_ = true;
  return true;
}

// dpint::hidden_update in T over the group (p: the sum of the backward partial sums, exact in T).
template <typename T, fx::Quant Q, fx::Overflow O>
void ModelVertexDatapath::hidden_int(const Mailbox& bwd) {
  const VertexGroup& g = group();
  const size_t li = static_cast<size_t>(g.layer - 1);
  const dpint::Shifts k(ctx_.fx);
  IMatrix& Z = ctx_.st->z[li];
  IMatrix& A = ctx_.st->a[li];
  const auto un = static_cast<size_t>(n()), ld = xd::padded(n());
  std::vector<T>& sum = sums<T>();
  sum.assign(u_.size(), 0);
  T* p = sum.data();
  add_messages<false>(bwd, p);
  dpint::WriteCounts cnt;
  std::int64_t change = max_change_;
  const std::int64_t s_raw = ctx_.s_raw;
  const FixedStalkPins *pz = pins_z(), *pa = pins_a();
  for_samples<Q>([&](int s, std::uint64_t ks) {
    std::int64_t* zc = &Z(g.n0, s);
    std::int64_t* ac = &A(g.n0, s);
    const std::int64_t* us = u_.data() + static_cast<size_t>(s) * ld;
    const T* ps = p + static_cast<size_t>(s) * ld;
    for (size_t i = 0; i < un; ++i) {
      const std::int64_t z = zc[i], a = ac[i];
      const Eigen::Index row = g.n0 + static_cast<Eigen::Index>(i);
      vertex::HiddenStep h = hidden_step<T, Q, O>(z, a, us[i], ps[i], s_raw, k, ctx_.fx, rnd<Q>(ks, FxClass::Z, i),
                                                  rnd<Q>(ks, FxClass::A, i), soft(pz, row), soft(pa, row));
      const bool hz = pz != nullptr && pz->hard_row(row), ha = pa != nullptr && pa->hard_row(row);
      discard_hard(h, hz, ha, z, a);
      cnt.add(h);
      change = std::max({change, absdiff(h.z.value, z), absdiff(h.a.value, a)});
      // The unit writes a hard-pinned coordinate's value instead of its update (§4.3).
      zc[i] = hz ? pz->hard[static_cast<size_t>(row)] : h.z.value;
      ac[i] = ha ? pa->hard[static_cast<size_t>(row)] : h.a.value;
    }
  });
  max_change_ = change;
  count_flags(FxClass::Z, cnt);
  count_flags(FxClass::A, cnt.saturated_a, cnt.lost_a, 0);
}

// The free input coordinates of the group (FixedArith::update_input): p the
// sum of the backward sums W_1^T u_1 (exact in __int128), x -= s g_x with
// g_x = -p wrapped to the accumulator; stochastic site (A, layer 0, row);
// saturations under FxClass::Input and wraps under the accumulator, layer 1.
void ModelVertexDatapath::input_update(const Mailbox& bwd) {
  const VertexGroup& g = group();
  const FixedConfig& f = ctx_.fx;
  const dpint::Shifts sh(f);
  IMatrix& X = ctx_.st->x;
  const size_t ld = xd::padded(n());
  std::vector<fx::wide>& sum = sums<fx::wide>();
  sum.assign(ld * static_cast<size_t>(batch()), 0);
  add_messages<false>(bwd, sum.data());
  std::vector<int> rows;
  if (ctx_.pins != nullptr)
    for (int r : ctx_.pins->free_inputs)
      if (r >= g.n0 && r < g.n1) rows.push_back(r);
  std::uint64_t sat = 0, wraps = 0;
  std::int64_t change = 0;
  const std::int64_t s_raw = ctx_.s_raw;
  fx::with_modes(f.quant, f.overflow, [&](auto q, auto o) {
    constexpr fx::Quant Q = decltype(q)::value;
    constexpr fx::Overflow O = decltype(o)::value;
    for_samples<Q>([&](int s, std::uint64_t ks) {
      for (int row : rows) {
        const auto i = static_cast<size_t>(row - g.n0);
        std::int64_t& x = X(row, s);
        const vertex::InputStep w = dpint::input_update<fx::wide, Q, O>(
            x, sum[static_cast<size_t>(s) * ld + i], s_raw, sh, rnd<Q>(ks, FxClass::A, i));
        sat += w.x.saturated ? 1 : 0;
        wraps += w.acc_wrapped ? 1 : 0;
        change = std::max(change, absdiff(w.x.value, x));
        x = w.x.value;
      }
    });
  });
  max_change_ = change;
  ctx_.counters.add(FxClass::Input, 1, sat, 0);
  ctx_.counters.add(FxClass::Accumulator, 1, wraps);
  unit_.saturations += sat + wraps;
}

// The output step vectorised in doubles (xd::output): g = u 2^(f-fr) + (z - y) 2^(f-fs)
// (training; inference: g_out = 0), exact when s |g| < 2^53 and |z - s g 2^-d| < 2^50.
bool ModelVertexDatapath::output_double() {
  const FixedConfig& f = ctx_.fx;
  if (!doubles_ok() || f.stalk.width() > kSimdWidth || ctx_.s_raw == 0 || !u_exact_ || !z_exact_) return false;
  const VertexGroup& g = group();
  const bool train = ctx_.Y != nullptr;
  const dpint::Shifts k(f);
  const int gof = train ? k.fs : k.fr, fo = std::max(k.f1, gof), d = k.fc + fo - k.fs;
  const uwide ymax = train ? gather_targets() : 0;
  if (ymax >= kExact50) return false;
  const uwide S = mag(ctx_.s_raw);
  const uwide G = add(shl(umax_, fo - k.fr), train ? shl(add(zmax_, ymax), fo - gof) : 0);
  const uwide ZN = add(shl(zmax_, d), mul(S, G));  // >= |z + w| 2^d
  if (mul(S, G) >= kDouble || ZN >= pow2(50 + d)) return false;
  const double s = static_cast<double>(ctx_.s_raw);
  const double cu = -s * std::ldexp(1.0, fo - k.fr - d), cy = -s * std::ldexp(1.0, fo - gof - d);
  const xd::Range R = xd::Range::of(f.stalk);
  const bool fit = ZN > shl(static_cast<uwide>(f.stalk.max_raw()), d);
  IMatrix& Z = ctx_.st->z[static_cast<size_t>(g.layer - 1)];
  const xd::Block blk{n(), batch(), static_cast<std::ptrdiff_t>(xd::padded(n())), Z.outerStride(), 0};
  const dpint::WriteCounts c = with_det_modes_fit(f, fit, [&](auto q, auto o, auto kf) {
    return xd::output<decltype(q)::value, decltype(o)::value, decltype(kf)::value, false, true>(
        z_d_.data(), u_d_.data(), train ? y_d_.data() : nullptr, blk, cu, cy, R, &Z(g.n0, 0));
  });
  count_flags(FxClass::Z, c.saturated, c.lost, 0);
  change_z_pending_ = true;
  return true;
}

// The output unit (docs/architecture.md, "Output unit"): the group holds the
// whole output layer (MeshMapping's whole output group), so that a softmax
// sees every output neuron of a sample. g_out from the lookup, then the z update in integers.
void ModelVertexDatapath::output_lookup() {
  const VertexGroup& g = group();
  const FixedConfig& f = ctx_.fx;
  const bool train = ctx_.Y != nullptr;
  IMatrix& Z = ctx_.st->z[static_cast<size_t>(g.layer - 1)];
  if (g.n0 != 0 || g.n1 != Z.rows())
    throw std::logic_error("the output unit needs the whole output layer in one vertex group");
  g_look_.resize(static_cast<size_t>(Z.size()));
  const OutputForceResult r =
      output_lookup_force(ctx_.net->output, ctx_.output_mode, Z, train ? ctx_.Y : nullptr,
                          train ? nullptr : &ctx_.st->a_out, ctx_.s_raw, f, ctx_.step, g.layer, g_look_.data(),
                          pins_aout());
  if (pins_aout() != nullptr) apply_hard(*pins_aout(), ctx_.st->a_out);  // a_out's hard pins, after its write
  count_flags(FxClass::Output, r.saturated, r.lost, 0);
  max_change_ = std::max(max_change_, r.max_change);
  ensure_u64();
  uwide gmax = 0;
  for (std::int64_t v : g_look_) gmax = std::max(gmax, mag(v));
  const dpint::Shifts k(f);
  const bool narrow = pins_z() == nullptr && dpint::output_fits64(k, f.residual.frac_bits, zmax_,
                                                                  reg_max(f.residual.width()), add(gmax, 1), mag(ctx_.s_raw));
  dpint::with_width_and_modes(narrow, f.quant, f.overflow, [&](auto w, auto q, auto o) {
    output_int<typename decltype(w)::type, decltype(q)::value, decltype(o)::value>(g_look_.data());
  });
}

// dpint::output_update in T over the group, g_out = z - y (training) or 0, or
// (gl given) the output unit's force gl[s * n + i] in the residual format.
template <typename T, fx::Quant Q, fx::Overflow O>
void ModelVertexDatapath::output_int(const std::int64_t* gl) {
  const VertexGroup& g = group();
  const dpint::Shifts k(ctx_.fx);
  IMatrix& Z = ctx_.st->z[static_cast<size_t>(g.layer - 1)];
  const IMatrix* Y = gl != nullptr ? nullptr : ctx_.Y;
  const int g_out_frac = Y != nullptr ? k.fs : k.fr;
  const auto un = static_cast<size_t>(n()), ld = xd::padded(n());
  dpint::WriteCounts cnt;
  std::int64_t change = max_change_;
  const std::int64_t s_raw = ctx_.s_raw;
  const FixedStalkPins* pz = pins_z();
  for_samples<Q>([&](int s, std::uint64_t ks) {
    std::int64_t* zc = &Z(g.n0, s);
    const std::int64_t* yc = Y != nullptr ? &(*Y)(g.n0, s) : nullptr;
    const std::int64_t* us = u_.data() + static_cast<size_t>(s) * ld;
    const std::int64_t* gs = gl != nullptr ? gl + static_cast<size_t>(s) * un : nullptr;
    for (size_t i = 0; i < un; ++i) {
      const std::int64_t z = zc[i];
      const Eigen::Index row = g.n0 + static_cast<Eigen::Index>(i);
      if (pz != nullptr && pz->hard_row(row)) {  // the write is discarded: the unit writes the hard value (§4.3)
        zc[i] = pz->hard[static_cast<size_t>(row)];
        continue;
      }
      const T g_out = gs != nullptr ? T{gs[i]} : yc != nullptr ? T{z} - yc[i] : T{0};
      const edge::Write w = output_step<T, Q, O>(z, us[i], g_out, g_out_frac, s_raw, k, ctx_.fx,
                                                 rnd<Q>(ks, FxClass::Z, i), soft(pz, row));
      cnt.add(w);
      change = std::max(change, absdiff(w.value, z));
      zc[i] = w.value;
    }
  });
  max_change_ = change;
  count_flags(FxClass::Z, cnt);
}

}  // namespace sheafsim::mesh
