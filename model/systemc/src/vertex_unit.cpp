#include "sheafsim/mesh/vertex_unit.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "sheafsim/mesh/edge_pe.h"
#include "sheafsim/mesh/fast64.h"
#include "sheafsim/mesh/vertex_simd.h"

namespace sheafsim::mesh {

namespace {
std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }
constexpr std::uint64_t kResidual = 5, kUpdate = 6;
std::int64_t absdiff(std::int64_t a, std::int64_t b) { return a > b ? a - b : b - a; }

constexpr fast::uwide kExact50 = fast::uwide{1} << 50;  // |A + w| below this: one-add rounding (vertex_simd.h)
constexpr int kSimdWidth = 50;                           // widest register the biased doubles hold

// Rows [n0, n0 + n) of M, every column, into out[s * ld + i] (ld = padded(n);
// the padding lanes stay 0), as T; returns a bound on max |value|
// (fast::mag_bound; as doubles: simd::gather_doubles, exact when < 2^51).
template <typename T>
fast::uwide gather_block(const IMatrix& M, int n0, int n, int B, std::vector<T>& out) {
  const size_t ld = simd::padded(n);
  out.resize(simd::padded_size(n, B));
  if constexpr (std::is_same_v<T, double>) {
    return simd::gather_doubles(&M(n0, 0), M.outerStride(), n, B, out.data(), static_cast<std::ptrdiff_t>(ld));
  } else {
    const auto un = static_cast<size_t>(n);
    std::uint64_t acc = 0;
    for (int s = 0; s < B; ++s) {
      const std::int64_t* col = &M(n0, s);
      T* dst = out.data() + static_cast<size_t>(s) * ld;
      for (size_t i = 0; i < un; ++i) {
        const std::int64_t v = col[i];
        dst[i] = v;
        acc |= static_cast<std::uint64_t>(v ^ (v >> 63));
      }
    }
    return static_cast<fast::uwide>(acc) + 1;
  }
}

// acc[s * ld + (i - base)] += v (or -= v) for every value v = m.value(s, i), of type T:
// T = double needs m.dbl; T = std::int64_t takes m.narrow or the doubles (exact integers).
template <bool kSub, typename T>
void accumulate(const Message& m, int base, size_t ld, int B, T* acc) {
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

bool simd_ok(const FixedConfig& f) { return f.quant != fx::Quant::Stoch && xd::exact_doubles_ok(); }
}  // namespace

VertexUnit::VertexUnit(sc_core::sc_module_name name, int group, MeshContext& ctx)
    : MeshUnit(name, ctx, static_cast<std::uint64_t>(group + ctx.map->pes())), group_(group), fwd_("fwd"), bwd_("bwd") {
  SC_THREAD(run);
}

void VertexUnit::run() {
  for (;;) {
    sc_core::wait(ctx_.start);
    max_change_ = 0;
    change_z_pending_ = change_a_pending_ = false;
    send_activations();
    if (group().layer == 0) continue;  // the input only sends
    residuals();
    update();
  }
}

std::int64_t VertexUnit::max_change() const {
  std::int64_t change = max_change_;
  const VertexGroup& g = group();
  if (g.layer == 0 || (!change_z_pending_ && !change_a_pending_)) return change;
  const int n = g.n1 - g.n0;
  const auto B = static_cast<int>(ctx_.batch);
  const size_t ld = simd::padded(n), li = static_cast<size_t>(g.layer - 1);
  // max |new - old| with the old values from this step's copies (exact doubles).
  auto scan = [&](const IMatrix& M, const std::vector<double>& old) {
    for (int s = 0; s < B; ++s)
      for (int i = 0; i < n; ++i)
        change = std::max(change, absdiff(M(g.n0 + i, s),
                                          static_cast<std::int64_t>(old[static_cast<size_t>(s) * ld + static_cast<size_t>(i)])));
  };
  if (change_z_pending_) scan(ctx_.st->z[li], z_d_);
  if (change_a_pending_) scan(ctx_.st->a[li], a_d_);
  return change;
}

void VertexUnit::count_flags(FxClass cls, std::uint64_t sat, std::uint64_t lost, std::uint64_t wraps) {
  const auto li = static_cast<size_t>(group().layer - 1);
  ctx_.counters.saturations[static_cast<size_t>(cls)][li] += sat;
  ctx_.counters.lost_updates[static_cast<size_t>(cls)][li] += lost;
  ctx_.counters.saturations[static_cast<size_t>(FxClass::Accumulator)][li] += wraps;
  c_.saturations += sat + wraps;
  c_.lost_updates += lost;
}

void VertexUnit::send_activations() {
  // The output layer has no readers (its activation is its z, identity) and no a.
  const VertexGroup& g = group();
  if (g.layer == ctx_.L) return;
  const IMatrix& src = g.layer == 0 ? *ctx_.X : ctx_.st->a[static_cast<size_t>(g.layer - 1)];
  const int n = g.n1 - g.n0;
  const auto B = static_cast<int>(ctx_.batch);
  amax_ = gather_block(src, g.n0, n, B, a_d_);
  a_exact_ = amax_ < kExact50;
  if (!a_exact_) gather_block(src, g.n0, n, B, a_);
  const size_t ld = simd::padded(n);
  for (int ti : ctx_.map->reader_tiles(group_)) {
    const Tile& t = ctx_.map->tiles()[static_cast<size_t>(ti)];
    // A view of the copy of rows [n0, n1), taken now and rewritten at the next step's send.
    Message m;
    m.n0 = std::max(t.c0, g.n0);
    m.n1 = std::min(t.c1, g.n1);
    if (a_exact_) {
      m.dbl = a_d_.data() + (m.n0 - g.n0);
      m.dstride = ld;
    } else {
      m.narrow = a_.data() + (m.n0 - g.n0);
      m.stride = ld;
    }
    m.bound = amax_;
    send(g.pe, t.pe, ctx_.tile_owner[static_cast<size_t>(ti)]->activations(ti), m, ctx_.fx.stalk.width(),
         fx::mix64((ctx_.step << 32) ^ (static_cast<std::uint64_t>(ti) << 12) ^ static_cast<std::uint64_t>(group_)));
  }
}

void VertexUnit::residuals() {
  const VertexGroup& g = group();
  gather(fwd_);
  const int n = g.n1 - g.n0, layer = g.layer;
  const auto B = static_cast<int>(ctx_.batch);
  const FixedConfig& f = ctx_.fx;
  zmax_ = gather_block(ctx_.st->z[static_cast<size_t>(layer - 1)], g.n0, n, B, z_d_);
  z_exact_ = zmax_ < kExact50;
  u_int_ = false;
  if (!residuals_double()) {
    // 64 bits when |z << fw| + the partial sums' bounds < 2^63 (acc is then exact in 64 bits).
    const int d = f.weight.frac_bits + f.stalk.frac_bits - f.residual.frac_bits;
    u_.resize(z_d_.size());
    if (d >= 0 && d < 63 && fwd_.all_int64() &&
        fast::add(fast::shl(zmax_, f.weight.frac_bits), fwd_.bound_sum()) < fast::kInt64)
      fast::with_modes(f.quant, f.overflow, [&](auto q, auto o) { residuals64(q, o); });
    else
      residuals_wide();
    u_int_ = true;
    finish_residuals();
  }
  const auto elems = static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(B);
  c_.adds += elems * fwd_.messages().size();
  c_.register_writes += elems;
  busy(ceil_div(elems * (fwd_.messages().size() + 1), static_cast<std::uint64_t>(ctx_.mesh.vertex_lanes)), kResidual);
  if (!ctx_.needs_residuals(layer)) return;
  const size_t ld = simd::padded(n);
  for (int ti : ctx_.map->row_tiles(group_)) {
    const Tile& t = ctx_.map->tiles()[static_cast<size_t>(ti)];
    Message m;  // a view of u (as doubles and / or 64-bit integers), rewritten in the next step's residual phase
    m.n0 = std::max(t.r0, g.n0);
    m.n1 = std::min(t.r1, g.n1);
    if (u_exact_) {
      m.dbl = u_d_.data() + (m.n0 - g.n0);
      m.dstride = ld;
    }
    if (u_int_) {
      m.narrow = u_.data() + (m.n0 - g.n0);
      m.stride = ld;
    }
    m.bound = umax_;
    send(g.pe, t.pe, ctx_.tile_owner[static_cast<size_t>(ti)]->residuals(ti), m, ctx_.fx.residual.width(),
         fx::mix64((~ctx_.step << 32) ^ (static_cast<std::uint64_t>(ti) << 12) ^ static_cast<std::uint64_t>(group_)));
  }
}

void VertexUnit::finish_residuals() {
  u_exact_ = ctx_.fx.residual.width() <= kSimdWidth;  // |u| < 2^50: exact as doubles
  u_d_.resize(u_.size());
  std::uint64_t acc = 0;
  for (size_t k = 0; k < u_.size(); ++k) {
    const std::int64_t v = u_[k];
    acc |= static_cast<std::uint64_t>(v ^ (v >> 63));
    if (u_exact_) u_d_[k] = static_cast<double>(v);
  }
  umax_ = static_cast<fast::uwide>(acc) + 1;
}

void VertexUnit::ensure_u64() {
  if (u_int_) return;
  u_.resize(u_d_.size());
  for (size_t k = 0; k < u_d_.size(); ++k) u_[k] = static_cast<std::int64_t>(u_d_[k]);
  u_int_ = true;
}

// The sum of a mailbox's partial sums as doubles, [s * ld + i] over the
// group's neurons (padding lanes 0): the one message's own buffer when it is a
// whole block covering the group exactly with the same layout, else sum_d_.
const double* VertexUnit::reduce_double(const Mailbox& box) {
  const VertexGroup& g = group();
  const int n = g.n1 - g.n0;
  const size_t ld = simd::padded(n);
  const std::vector<Message>& msgs = box.messages();
  const auto B = static_cast<int>(ctx_.batch);
  // A message that is a whole block covering the group in the group's layout (padding lanes 0).
  auto whole = [&](const Message& m) { return m.n0 == g.n0 && m.n1 == g.n1 && m.dstride == ld && m.zero_pad; };
  if (msgs.size() == 1 && whole(msgs[0])) return msgs[0].dbl;
  const size_t total = ld * static_cast<size_t>(B);
  sum_d_.resize(simd::padded_size(n, B));
  double* sum = sum_d_.data();
  // Whole messages: contiguous runs (padding included, 0), summed up to four per pass.
  whole_.clear();
  for (const Message& m : msgs)
    if (whole(m)) whole_.push_back(m.dbl);
  size_t k = 0;
  if (whole_.empty()) std::fill(sum_d_.begin(), sum_d_.end(), 0.0);
  for (bool first = true; k < whole_.size(); first = false) {
    const double* p[4] = {whole_[k], nullptr, nullptr, nullptr};
    int c = 1;
    for (; c < 4 && k + static_cast<size_t>(c) < whole_.size(); ++c) p[c] = whole_[k + static_cast<size_t>(c)];
    k += static_cast<size_t>(c);
    auto pass = [&](auto cn) {
      constexpr int C = decltype(cn)::value;
      for (size_t j = 0; j < total; ++j) {
        double v = p[0][j];
        if constexpr (C > 1) v += p[1][j];
        if constexpr (C > 2) v += p[2][j];
        if constexpr (C > 3) v += p[3][j];
        sum[j] = first ? v : sum[j] + v;
      }
    };
    switch (c) {
      case 1: pass(std::integral_constant<int, 1>{}); break;
      case 2: pass(std::integral_constant<int, 2>{}); break;
      case 3: pass(std::integral_constant<int, 3>{}); break;
      default: pass(std::integral_constant<int, 4>{}); break;
    }
  }
  for (const Message& m : msgs)
    if (!whole(m)) accumulate<false>(m, g.n0, ld, B, sum);
  return sum;
}

// acc = (z << fw) - the sum p of the partial sums in doubles, rounded by the
// vectorised kernel (vertex_simd.h). Exact when |z| 2^fw + |p| (the bound:
// max |z| 2^fw plus the messages' bounds) stays below 2^50, which also keeps
// acc inside the accumulator (no wrap) when checked against 2^(acc_bits - 1).
bool VertexUnit::residuals_double() {
  const FixedConfig& f = ctx_.fx;
  const int fw = f.weight.frac_bits, d = fw + f.stalk.frac_bits - f.residual.frac_bits;
  if (!simd_ok(f) || f.residual.width() > kSimdWidth || d < 0 || !z_exact_ || !fwd_.all_double()) return false;
  const fast::uwide bound = fast::add(fast::shl(zmax_, fw), fwd_.bound_sum());
  if (bound >= kExact50 || bound >= fast::pow2(f.acc_bits - 1)) return false;
  const VertexGroup& g = group();
  const int n = g.n1 - g.n0;
  const auto B = static_cast<int>(ctx_.batch);
  const size_t total = simd::padded(n) * static_cast<size_t>(B);
  const double* p = reduce_double(fwd_);
  u_d_.resize(z_d_.size());
  const simd::Range R = simd::Range::of(f.residual);
  const double zs = std::ldexp(1.0, fw), scale = std::ldexp(1.0, -d);
  // No rounded value can leave the register when |acc| 2^-d <= its largest value.
  const bool fit = bound > fast::shl(static_cast<fast::uwide>(f.residual.max_raw()), d);
  const simd::Counts c = fast::with_det_modes(f.quant, f.overflow, [&](auto q, auto o) {
    return fast::with_bool(fit, [&](auto kf) {
      return simd::residual<decltype(q)::value, decltype(o)::value, decltype(kf)::value>(
          z_d_.data(), zs, p, u_d_.data(), static_cast<std::ptrdiff_t>(total), scale, R);
    });
  });
  count_flags(FxClass::Residual, static_cast<std::uint64_t>(c.sat), 0, 0);
  u_exact_ = true;
  umax_ = static_cast<fast::uwide>(c.max_abs);
  return true;
}

// acc = (z << fw) - sum of the partial sums (b << sb) + sum_j W a, exact in 64 bits; then wrapped and rounded once.
template <typename QT, typename OT>
void VertexUnit::residuals64(QT, OT) {
  constexpr fx::Quant Q = QT::value;
  constexpr fx::Overflow O = OT::value;
  const VertexGroup& g = group();
  const int n = g.n1 - g.n0, layer = g.layer;
  const auto B = static_cast<int>(ctx_.batch);
  const FixedConfig& f = ctx_.fx;
  const IMatrix& Z = ctx_.st->z[static_cast<size_t>(layer - 1)];
  const int fw = f.weight.frac_bits, d = fw + f.stalk.frac_bits - f.residual.frac_bits, wr = f.residual.width();
  const auto un = static_cast<size_t>(n), ld = simd::padded(n);
  sum64_.assign(u_.size(), 0);
  std::int64_t* acc = sum64_.data();
  for (int s = 0; s < B; ++s)
    for (size_t i = 0; i < un; ++i) acc[static_cast<size_t>(s) * ld + i] = fx::shl64(Z(g.n0 + static_cast<int>(i), s), fw);
  for (const Message& m : fwd_.messages()) accumulate<true>(m, g.n0, ld, B, acc);
  std::uint64_t sat = 0, wraps = 0;
  const std::uint64_t k1 = Q == fx::Quant::Stoch ? fast::step_key(f.seed, ctx_.step) : 0;
  for (int s = 0; s < B; ++s) {
    const std::uint64_t ks = Q == fx::Quant::Stoch ? fast::sample_key(k1, static_cast<std::uint64_t>(s)) : 0;
    const std::int64_t* as = acc + static_cast<size_t>(s) * ld;
    std::int64_t* us = u_.data() + static_cast<size_t>(s) * ld;
    for (size_t i = 0; i < un; ++i) {
      bool wrapped = false, saturated = false;
      const std::int64_t v = fast::acc_wrap64(as[i], f.acc_bits, &wrapped);
      const std::uint64_t rnd =
          Q == fx::Quant::Stoch
              ? fast::bits(ks, edge::site(FxClass::Residual, layer, static_cast<std::uint64_t>(g.n0) + i))
              : 0;
      us[i] = fast::write64<Q, O>(v, d, wr, &saturated, rnd);
      wraps += wrapped;
      sat += saturated;
    }
  }
  count_flags(FxClass::Residual, sat, 0, wraps);
}

void VertexUnit::residuals_wide() {
  const VertexGroup& g = group();
  const int n = g.n1 - g.n0, layer = g.layer;
  const auto B = static_cast<int>(ctx_.batch);
  const IMatrix& Z = ctx_.st->z[static_cast<size_t>(layer - 1)];
  const size_t ld = simd::padded(n);
  // acc = (z << fw) - sum of the partial sums (b << sb) + sum_j W a, exact; then wrapped and rounded once.
  std::vector<fx::wide>& acc = sumw_;
  acc.assign(u_.size(), 0);
  for (int s = 0; s < B; ++s)
    for (int i = 0; i < n; ++i)
      acc[static_cast<size_t>(s) * ld + static_cast<size_t>(i)] = fx::shl(Z(g.n0 + i, s), ctx_.fx.weight.frac_bits);
  for (const Message& m : fwd_.messages()) for_each_value(m, g.n0, ld, B, [&](size_t i, fx::wide v) { acc[i] -= v; });
  for (int s = 0; s < B; ++s)
    for (int i = 0; i < n; ++i) {
      const size_t k = static_cast<size_t>(s) * ld + static_cast<size_t>(i);
      const edge::Write r =
          vertex::residual(acc_fit(acc[k], layer), ctx_.fx,
                           ctx_.rnd(static_cast<std::uint64_t>(s), FxClass::Residual, layer, static_cast<std::uint64_t>(g.n0 + i)));
      count(r, FxClass::Residual, layer);
      u_[k] = r.value;
    }
}

void VertexUnit::update() {
  const VertexGroup& g = group();
  const int n = g.n1 - g.n0, layer = g.layer;
  const auto B = static_cast<int>(ctx_.batch);
  const FixedConfig& f = ctx_.fx;
  const fast::VertexShifts k(f);
  const fast::uwide umax = fast::reg_max(f.residual.width()), smax = fast::mag(ctx_.s_raw);
  const auto elems = static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(B);
  if (layer < ctx_.L) {
    gather(bwd_);
    if (!hidden_double()) {
      // 64 bits when the formats and this step's magnitudes bound every intermediate below 2^63.
      ensure_u64();
      const fast::uwide pmax = bwd_.bound_sum();
      if (bwd_.all_int64() && pmax < fast::kInt64 && fast::hidden_fits64(k, zmax_, amax_, umax, pmax, smax))
        fast::with_modes(f.quant, f.overflow, [&](auto q, auto o) { hidden64(q, o); });
      else
        hidden_wide();
    }
    c_.adds += elems * bwd_.messages().size();
    c_.register_writes += 2 * elems;
    busy(ceil_div(elems * (bwd_.messages().size() + 2), static_cast<std::uint64_t>(ctx_.mesh.vertex_lanes)), kUpdate);
    return;
  }
  // The identity output: g_out = z - y in training (the target is pinned here), 0 in inference.
  if (!output_double()) {
    ensure_u64();
    const bool train = ctx_.Y != nullptr;
    const fast::uwide gmax = train ? fast::add(zmax_, fast::block_max_abs(*ctx_.Y, g.n0, n, 0, B)) : 0;
    if (fast::output_fits64(k, train ? f.stalk.frac_bits : f.residual.frac_bits, zmax_, umax, gmax, smax))
      fast::with_modes(f.quant, f.overflow, [&](auto q, auto o) { output64(q, o); });
    else
      output_wide();
  }
  c_.register_writes += elems;
  busy(ceil_div(elems * 2, static_cast<std::uint64_t>(ctx_.mesh.vertex_lanes)), kUpdate);
}

// The hidden step vectorised in doubles (vertex_simd.h), with
// g_z = u 2^(f1-fr) - m q 2^(f1-fs), g_a = q 2^(f2-fs) - p, q = a - m z: exact
// when s |g_z| and s |g_a| (which bound every product and sum of the kernel)
// are below 2^53, the sum p of the backward sums (|p| <= their bounds) is
// below 2^53, |g_a| stays inside the accumulator (no wrap), and the rounded
// values |z + wz| = |z - s g_z 2^-dz|, |a + wa| stay below 2^50.
bool VertexUnit::hidden_double() {
  const FixedConfig& f = ctx_.fx;
  if (!simd_ok(f) || f.stalk.width() > kSimdWidth || ctx_.s_raw == 0 || !u_exact_ || !a_exact_ || !z_exact_ ||
      !bwd_.all_double())
    return false;
  const fast::VertexShifts k(f);
  const int dz = k.fc + k.f1 - k.fs, da = k.fc + k.f2 - k.fs;
  const fast::uwide S = fast::mag(ctx_.s_raw), P = bwd_.bound_sum(), Q = fast::add(zmax_, amax_);
  const fast::uwide GZ = fast::add(fast::shl(umax_, k.f1 - k.fr), fast::shl(Q, k.f1 - k.fs));
  const fast::uwide GA = fast::add(fast::shl(Q, k.f2 - k.fs), P);
  const fast::uwide ZN = fast::add(fast::shl(zmax_, dz), fast::mul(S, GZ));  // >= |z + wz| 2^dz
  const fast::uwide AN = fast::add(fast::shl(amax_, da), fast::mul(S, GA));  // >= |a + wa| 2^da
  if (P >= fast::kDouble || fast::mul(S, GZ) >= fast::kDouble || fast::mul(S, GA) >= fast::kDouble ||
      GA >= fast::pow2(f.acc_bits - 1) || ZN >= fast::pow2(50 + dz) || AN >= fast::pow2(50 + da))
    return false;
  const VertexGroup& g = group();
  const int n = g.n1 - g.n0, layer = g.layer;
  const auto B = static_cast<int>(ctx_.batch);
  const double* p = reduce_double(bwd_);
  const double s = static_cast<double>(ctx_.s_raw);
  simd::HiddenParams prm;
  prm.cu = -s * std::ldexp(1.0, k.f1 - k.fr - dz);
  prm.cq = -s * std::ldexp(1.0, k.f1 - k.fs - dz);
  prm.cqa = -s * std::ldexp(1.0, k.f2 - k.fs - da);
  prm.cw = s * std::ldexp(1.0, -da);
  prm.R = simd::Range::of(f.stalk);
  // No rounded value can leave the register when |z + wz|, |a + wa| <= its largest value.
  const fast::uwide hi = static_cast<fast::uwide>(f.stalk.max_raw());
  const bool fit = ZN > fast::shl(hi, dz) || AN > fast::shl(hi, da);
  const size_t li = static_cast<size_t>(layer - 1);
  IMatrix& Z = ctx_.st->z[li];
  IMatrix& A = ctx_.st->a[li];
  simd::Chunk ch;
  ch.n = n;
  ch.ld = static_cast<std::ptrdiff_t>(simd::padded(n));
  ch.B = B;
  const simd::Counts c = fast::with_det_modes(f.quant, f.overflow, [&](auto q, auto o) {
    return fast::with_bool(fit, [&](auto kf) {
      return simd::hidden<decltype(q)::value, decltype(o)::value, decltype(kf)::value>(
          z_d_.data(), a_d_.data(), u_d_.data(), p, ch, prm, &Z(g.n0, 0), Z.outerStride(), &A(g.n0, 0),
          A.outerStride());
    });
  });
  count_flags(FxClass::Z, static_cast<std::uint64_t>(c.sat), static_cast<std::uint64_t>(c.lost), 0);
  count_flags(FxClass::A, static_cast<std::uint64_t>(c.sat_a), static_cast<std::uint64_t>(c.lost_a), 0);
  change_z_pending_ = change_a_pending_ = true;
  return true;
}

template <typename QT, typename OT>
void VertexUnit::hidden64(QT, OT) {
  constexpr fx::Quant Q = QT::value;
  constexpr fx::Overflow O = OT::value;
  const VertexGroup& g = group();
  const int n = g.n1 - g.n0, layer = g.layer;
  const auto B = static_cast<int>(ctx_.batch);
  const size_t li = static_cast<size_t>(layer - 1);
  const FixedConfig& f = ctx_.fx;
  const fast::VertexShifts k(f);
  IMatrix& Z = ctx_.st->z[li];
  IMatrix& A = ctx_.st->a[li];
  const auto un = static_cast<size_t>(n), ld = simd::padded(n);
  // p = sum of the next layer's backward partial sums, exact in 64 bits.
  sum64_.assign(u_.size(), 0);
  std::int64_t* p = sum64_.data();
  for (const Message& m : bwd_.messages()) accumulate<false>(m, g.n0, ld, B, p);
  std::uint64_t wraps = 0, zsat = 0, asat = 0, zlost = 0, alost = 0;
  std::int64_t change = max_change_;
  const std::int64_t s_raw = ctx_.s_raw;
  const std::uint64_t k1 = Q == fx::Quant::Stoch ? fast::step_key(f.seed, ctx_.step) : 0;
  for (int s = 0; s < B; ++s) {
    const std::uint64_t ks = Q == fx::Quant::Stoch ? fast::sample_key(k1, static_cast<std::uint64_t>(s)) : 0;
    std::int64_t* zc = &Z(g.n0, s);
    std::int64_t* ac = &A(g.n0, s);
    const std::int64_t* us = u_.data() + static_cast<size_t>(s) * ld;
    const std::int64_t* ps = p + static_cast<size_t>(s) * ld;
    for (size_t i = 0; i < un; ++i) {
      std::uint64_t rz = 0, ra = 0;
      if constexpr (Q == fx::Quant::Stoch) {
        const auto row = static_cast<std::uint64_t>(g.n0) + i;
        rz = fast::bits(ks, edge::site(FxClass::Z, layer, row));
        ra = fast::bits(ks, edge::site(FxClass::A, layer, row));
      }
      const std::int64_t z = zc[i], a = ac[i];
      const fast::HiddenStep64 h = fast::hidden_update64<Q, O>(z, a, us[i], ps[i], s_raw, k, rz, ra);
      wraps += h.acc_wrapped;
      zsat += h.z_sat;
      asat += h.a_sat;
      zlost += h.z_lost;
      alost += h.a_lost;
      change = std::max({change, absdiff(h.z, z), absdiff(h.a, a)});
      zc[i] = h.z;
      ac[i] = h.a;
    }
  }
  max_change_ = change;
  count_flags(FxClass::Z, zsat, zlost, wraps);
  count_flags(FxClass::A, asat, alost, 0);
}

void VertexUnit::hidden_wide() {
  const VertexGroup& g = group();
  const int n = g.n1 - g.n0, layer = g.layer;
  const auto B = static_cast<int>(ctx_.batch);
  const size_t li = static_cast<size_t>(layer - 1);
  IMatrix& Z = ctx_.st->z[li];
  IMatrix& A = ctx_.st->a[li];
  const size_t ld = simd::padded(n);
  // p = sum of the next layer's backward partial sums, exact.
  std::vector<fx::wide>& p = sumw_;
  p.assign(u_.size(), 0);
  for (const Message& m : bwd_.messages()) for_each_value(m, g.n0, ld, B, [&](size_t i, fx::wide v) { p[i] += v; });
  for (int s = 0; s < B; ++s)
    for (int i = 0; i < n; ++i) {
      const std::int64_t z = Z(g.n0 + i, s), a = A(g.n0 + i, s);
      const auto row = static_cast<std::uint64_t>(g.n0 + i), sample = static_cast<std::uint64_t>(s);
      const size_t k = static_cast<size_t>(s) * ld + static_cast<size_t>(i);
      const vertex::HiddenStep h =
          vertex::hidden_update(z, a, u_[k], p[k], ctx_.s_raw, ctx_.fx, ctx_.rnd(sample, FxClass::Z, layer, row),
                                ctx_.rnd(sample, FxClass::A, layer, row));
      if (h.acc_wrapped) count_acc_overflow(layer);
      count(h.z, FxClass::Z, layer);
      count(h.a, FxClass::A, layer);
      max_change_ = std::max({max_change_, absdiff(h.z.value, z), absdiff(h.a.value, a)});
      Z(g.n0 + i, s) = h.z.value;
      A(g.n0 + i, s) = h.a.value;
    }
}

// The output step vectorised in doubles: g = u 2^(f-fr) + (z - y) 2^(f-fs)
// (training; inference: g_out = 0), exact when s |g| < 2^53 and
// |z - s g 2^-d| < 2^50.
bool VertexUnit::output_double() {
  const FixedConfig& f = ctx_.fx;
  if (!simd_ok(f) || f.stalk.width() > kSimdWidth || ctx_.s_raw == 0 || !u_exact_ || !z_exact_) return false;
  const VertexGroup& g = group();
  const int n = g.n1 - g.n0, layer = g.layer;
  const auto B = static_cast<int>(ctx_.batch);
  const bool train = ctx_.Y != nullptr;
  const fast::VertexShifts k(f);
  const int gof = train ? k.fs : k.fr, fo = std::max(k.f1, gof), d = k.fc + fo - k.fs;
  const fast::uwide ymax = train ? gather_block(*ctx_.Y, g.n0, n, B, y_d_) : 0;
  if (ymax >= kExact50) return false;
  const fast::uwide S = fast::mag(ctx_.s_raw);
  const fast::uwide G =
      fast::add(fast::shl(umax_, fo - k.fr), train ? fast::shl(fast::add(zmax_, ymax), fo - gof) : 0);
  const fast::uwide ZN = fast::add(fast::shl(zmax_, d), fast::mul(S, G));  // >= |z + w| 2^d
  if (fast::mul(S, G) >= fast::kDouble || ZN >= fast::pow2(50 + d)) return false;
  const double s = static_cast<double>(ctx_.s_raw);
  const double cu = -s * std::ldexp(1.0, fo - k.fr - d), cy = -s * std::ldexp(1.0, fo - gof - d);
  const simd::Range R = simd::Range::of(f.stalk);
  const bool fit = ZN > fast::shl(static_cast<fast::uwide>(f.stalk.max_raw()), d);
  IMatrix& Z = ctx_.st->z[static_cast<size_t>(layer - 1)];
  simd::Chunk ch;
  ch.n = n;
  ch.ld = static_cast<std::ptrdiff_t>(simd::padded(n));
  ch.B = B;
  const simd::Counts c = fast::with_det_modes(f.quant, f.overflow, [&](auto q, auto o) {
    return fast::with_bool(fit, [&](auto kf) {
      return simd::output<decltype(q)::value, decltype(o)::value, decltype(kf)::value>(
          z_d_.data(), train ? y_d_.data() : nullptr, u_d_.data(), ch, cu, cy, R, &Z(g.n0, 0), Z.outerStride());
    });
  });
  count_flags(FxClass::Z, static_cast<std::uint64_t>(c.sat), static_cast<std::uint64_t>(c.lost), 0);
  change_z_pending_ = true;
  return true;
}

template <typename QT, typename OT>
void VertexUnit::output64(QT, OT) {
  constexpr fx::Quant Q = QT::value;
  constexpr fx::Overflow O = OT::value;
  const VertexGroup& g = group();
  const int n = g.n1 - g.n0, layer = g.layer;
  const auto B = static_cast<int>(ctx_.batch);
  const FixedConfig& f = ctx_.fx;
  const fast::VertexShifts k(f);
  IMatrix& Z = ctx_.st->z[static_cast<size_t>(layer - 1)];
  const IMatrix* Y = ctx_.Y;
  const int g_out_frac = Y != nullptr ? f.stalk.frac_bits : f.residual.frac_bits;
  const auto un = static_cast<size_t>(n), ld = simd::padded(n);
  std::uint64_t sat = 0, lost = 0;
  std::int64_t change = max_change_;
  const std::int64_t s_raw = ctx_.s_raw;
  const std::uint64_t k1 = Q == fx::Quant::Stoch ? fast::step_key(f.seed, ctx_.step) : 0;
  for (int s = 0; s < B; ++s) {
    const std::uint64_t ks = Q == fx::Quant::Stoch ? fast::sample_key(k1, static_cast<std::uint64_t>(s)) : 0;
    std::int64_t* zc = &Z(g.n0, s);
    const std::int64_t* yc = Y != nullptr ? &(*Y)(g.n0, s) : nullptr;
    const std::int64_t* us = u_.data() + static_cast<size_t>(s) * ld;
    for (size_t i = 0; i < un; ++i) {
      const std::uint64_t rnd =
          Q == fx::Quant::Stoch ? fast::bits(ks, edge::site(FxClass::Z, layer, static_cast<std::uint64_t>(g.n0) + i)) : 0;
      const std::int64_t z = zc[i];
      const edge::Write w =
          fast::output_update64<Q, O>(z, us[i], yc != nullptr ? z - yc[i] : 0, g_out_frac, s_raw, k, rnd);
      sat += w.saturated;
      lost += w.lost;
      change = std::max(change, absdiff(w.value, z));
      zc[i] = w.value;
    }
  }
  max_change_ = change;
  count_flags(FxClass::Z, sat, lost, 0);
}

void VertexUnit::output_wide() {
  const VertexGroup& g = group();
  const int n = g.n1 - g.n0, layer = g.layer;
  const auto B = static_cast<int>(ctx_.batch);
  IMatrix& Z = ctx_.st->z[static_cast<size_t>(layer - 1)];
  const bool train = ctx_.Y != nullptr;
  const int g_out_frac = train ? ctx_.fx.stalk.frac_bits : ctx_.fx.residual.frac_bits;
  const size_t ld = simd::padded(n);
  for (int s = 0; s < B; ++s)
    for (int i = 0; i < n; ++i) {
      const std::int64_t z = Z(g.n0 + i, s);
      const fx::wide g_out = train ? fx::wide{z} - (*ctx_.Y)(g.n0 + i, s) : fx::wide{0};
      const edge::Write w = vertex::output_update(
          z, u_[static_cast<size_t>(s) * ld + static_cast<size_t>(i)], g_out, g_out_frac, ctx_.s_raw, ctx_.fx,
          ctx_.rnd(static_cast<std::uint64_t>(s), FxClass::Z, layer, static_cast<std::uint64_t>(g.n0 + i)));
      count(w, FxClass::Z, layer);
      max_change_ = std::max(max_change_, absdiff(w.value, z));
      Z(g.n0 + i, s) = w.value;
    }
}

}  // namespace sheafsim::mesh
