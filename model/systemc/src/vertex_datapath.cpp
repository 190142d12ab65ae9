// The C++ vertex datapath (model_vertex_datapath.h): the group's registers,
// the reductions and the residual phase.
#include <algorithm>
#include <cmath>

#include "sheafsim/fixed/datapath_int.h"
#include "sheafsim/fixed/exact_bounds.h"
#include "sheafsim/fixed/fixed_modes.h"
#include "sheafsim/mesh/model_vertex_datapath.h"

namespace sheafsim::mesh {

namespace {

std::int64_t absdiff(std::int64_t a, std::int64_t b) { return a > b ? a - b : b - a; }

// Rows [n0, n0 + n) of M, every column, into out[s * ld + i] (ld = padded(n);
// the padding lanes stay 0), as T; returns a bound on max |value|
// (bounds::mag_bound; as doubles: xd::gather_doubles, exact when < 2^51).
template <typename T>
bounds::uwide gather_block(const IMatrix& M, int n0, int n, int B, std::vector<T>& out) {
  const size_t ld = xd::padded(n);
  out.resize(xd::padded_size(n, B));
  if constexpr (std::is_same_v<T, double>) {
    return xd::gather_doubles(&M(n0, 0), M.outerStride(), n, B, out.data(), static_cast<std::ptrdiff_t>(ld));
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
    return static_cast<bounds::uwide>(acc) + 1;
  }
}

// The whole group's block [s * ld + i] as a message: doubles and / or 64-bit integers.
Message block_message(const VertexGroup& g, const double* dbl, const std::int64_t* narrow, bounds::uwide bound) {
  Message m;
  m.n0 = g.n0;
  m.n1 = g.n1;
  m.dbl = dbl;
  m.narrow = narrow;
  m.stride = m.dstride = xd::padded(g.n1 - g.n0);
  m.bound = bound;
  return m;
}

}  // namespace

std::unique_ptr<VertexDatapath> make_model_vertex_datapath(int group, MeshContext& ctx, UnitCounters& unit) {
  return std::make_unique<ModelVertexDatapath>(group, ctx, unit);
}

std::int64_t ModelVertexDatapath::max_change() const {
  std::int64_t change = max_change_;
  const VertexGroup& g = group();
  if (g.layer == 0 || (!change_z_pending_ && !change_a_pending_)) return change;
  const int nn = n(), B = batch();
  const size_t ld = xd::padded(nn), li = static_cast<size_t>(g.layer - 1);
  // max |new - old| with the old values from this step's copies (exact doubles).
  auto scan = [&](const IMatrix& M, const std::vector<double>& old) {
    for (int s = 0; s < B; ++s)
      for (int i = 0; i < nn; ++i)
        change = std::max(change, absdiff(M(g.n0 + i, s),
                                          static_cast<std::int64_t>(old[static_cast<size_t>(s) * ld + static_cast<size_t>(i)])));
  };
  if (change_z_pending_) scan(ctx_.st->z[li], z_d_);
  if (change_a_pending_) scan(ctx_.st->a[li], a_d_);
  return change;
}

void ModelVertexDatapath::count_flags(FxClass cls, std::uint64_t sat, std::uint64_t lost, std::uint64_t wraps) {
  const int layer = group().layer;
  ctx_.counters.add(cls, layer, sat, lost);
  ctx_.counters.add(FxClass::Accumulator, layer, wraps);
  unit_.saturations += sat + wraps;
  unit_.lost_updates += lost;
}

Message ModelVertexDatapath::activations() {
  const VertexGroup& g = group();
  // (The input: st->x when the pins free input coordinates, which the steps move.)
  const IMatrix& src = g.layer == 0 ? (ctx_.st->x.size() > 0 ? ctx_.st->x : *ctx_.X) : ctx_.st->a[static_cast<size_t>(g.layer - 1)];
  amax_ = gather_block(src, g.n0, n(), batch(), a_d_);
  a_exact_ = amax_ < kExact50;
  if (!a_exact_) gather_block(src, g.n0, n(), batch(), a_);
  return block_message(g, a_exact_ ? a_d_.data() : nullptr, a_exact_ ? nullptr : a_.data(), amax_);
}

fx::uwide ModelVertexDatapath::gather_targets() { return gather_block(*ctx_.Y, group().n0, n(), batch(), y_d_); }

Message ModelVertexDatapath::residuals(const Mailbox& fwd) {
  const VertexGroup& g = group();
  const FixedConfig& f = ctx_.fx;
  max_change_ = 0;
  change_z_pending_ = change_a_pending_ = false;
  zmax_ = gather_block(ctx_.st->z[static_cast<size_t>(g.layer - 1)], g.n0, n(), batch(), z_d_);
  z_exact_ = zmax_ < kExact50;
  u_int_ = false;
  if (!residuals_double(fwd)) {
    // 64 bits when |z << fw| + the partial sums' bounds < 2^63 (acc is then exact in 64 bits).
    const int d = f.weight.frac_bits + f.stalk.frac_bits - f.residual.frac_bits;
    u_.resize(z_d_.size());
    const bool narrow = d >= 0 && d < 63 && fwd.all_int64() &&
                        bounds::add(bounds::shl(zmax_, f.weight.frac_bits), fwd.bound_sum()) < bounds::kInt64;
    dpint::with_width_and_modes(narrow, f.quant, f.overflow, [&](auto w, auto q, auto o) {
      residuals_int<typename decltype(w)::type, decltype(q)::value, decltype(o)::value>(fwd);
    });
    u_int_ = true;
    finish_residuals();
  }
  return block_message(g, u_exact_ ? u_d_.data() : nullptr, u_int_ ? u_.data() : nullptr, umax_);
}

void ModelVertexDatapath::finish_residuals() {
  u_exact_ = ctx_.fx.residual.width() <= kSimdWidth;  // |u| < 2^50: exact as doubles
  u_d_.resize(u_.size());
  std::uint64_t acc = 0;
  for (size_t k = 0; k < u_.size(); ++k) {
    const std::int64_t v = u_[k];
    acc |= static_cast<std::uint64_t>(v ^ (v >> 63));
    if (u_exact_) u_d_[k] = static_cast<double>(v);
  }
  umax_ = static_cast<bounds::uwide>(acc) + 1;
}

void ModelVertexDatapath::ensure_u64() {
  if (u_int_) return;
  u_.resize(u_d_.size());
  for (size_t k = 0; k < u_d_.size(); ++k) u_[k] = static_cast<std::int64_t>(u_d_[k]);
  u_int_ = true;
}

// The sum of a mailbox's partial sums as doubles, [s * ld + i] over the
// group's neurons (padding lanes 0): the one message's own buffer when it is a
// whole block covering the group exactly with the same layout, else sum_d_.
const double* ModelVertexDatapath::reduce_double(const Mailbox& box) {
  const VertexGroup& g = group();
  const int nn = n(), B = batch();
  const size_t ld = xd::padded(nn);
  const std::vector<Message>& msgs = box.messages();
  // A message that is a whole block covering the group in the group's layout (padding lanes 0).
  auto whole = [&](const Message& m) { return m.n0 == g.n0 && m.n1 == g.n1 && m.dstride == ld && m.zero_pad; };
  if (msgs.size() == 1 && whole(msgs[0])) return msgs[0].dbl;
  const size_t total = ld * static_cast<size_t>(B);
  sum_d_.resize(xd::padded_size(nn, B));
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
    if (!whole(m)) add_message<false>(m, g.n0, ld, B, sum);
  return sum;
}

// acc = (z << fw) - the sum p of the partial sums in doubles, rounded by the
// vector kernel (xd::residual). Exact when |z| 2^fw + |p| (the bound:
// max |z| 2^fw plus the messages' bounds) stays below 2^50, which also keeps
// acc inside the accumulator (no wrap) when checked against 2^(acc_bits - 1).
bool ModelVertexDatapath::residuals_double(const Mailbox& fwd) {
  const FixedConfig& f = ctx_.fx;
  const int fw = f.weight.frac_bits, d = fw + f.stalk.frac_bits - f.residual.frac_bits;
  if (!doubles_ok() || f.residual.width() > kSimdWidth || d < 0 || !z_exact_ || !fwd.all_double()) return false;
  const bounds::uwide bound = bounds::add(bounds::shl(zmax_, fw), fwd.bound_sum());
  if (bound >= kExact50 || bound >= bounds::pow2(f.acc_bits - 1)) return false;
  u_d_.resize(z_d_.size());
  xd::ResidualArgs<double> args;  // one flat run over the padded block, no bias
  args.z = z_d_.data();
  args.ud = u_d_.data();
  args.prod = reduce_double(fwd);
  args.rows = 1;
  args.cols = static_cast<std::ptrdiff_t>(xd::padded(n()) * static_cast<size_t>(batch()));
  args.zs = std::ldexp(1.0, fw);
  args.scale = std::ldexp(1.0, -d);
  args.R = xd::Range::of(f.residual);
  // No rounded value can leave the register when |acc| 2^-d <= its largest value.
  const bool fit = bound > bounds::shl(static_cast<bounds::uwide>(f.residual.max_raw()), d);
  const dpint::WriteCounts c = fx::with_det_modes(f.quant, f.overflow, [&](auto q, auto o) {
    return fx::with_bool(fit, [&](auto kf) {
      return xd::residual<decltype(q)::value, decltype(o)::value, 0, decltype(kf)::value, true>(args);
    });
  });
  count_flags(FxClass::Residual, c.saturated, 0, 0);
  u_exact_ = true;
  umax_ = static_cast<bounds::uwide>(c.max_abs);
  return true;
}

// acc = (z << fw) - sum of the partial sums (b << sb) + sum_j W a, exact in T;
// then wrapped and rounded once (dpint::residual).
template <typename T, fx::Quant Q, fx::Overflow O>
void ModelVertexDatapath::residuals_int(const Mailbox& fwd) {
  const VertexGroup& g = group();
  const int B = batch();
  const dpint::Shifts sh(ctx_.fx);
  const IMatrix& Z = ctx_.st->z[static_cast<size_t>(g.layer - 1)];
  const auto un = static_cast<size_t>(n()), ld = xd::padded(n());
  std::vector<T>& sum = sums<T>();
  sum.assign(u_.size(), 0);
  T* acc = sum.data();
  for (int s = 0; s < B; ++s)
    for (size_t i = 0; i < un; ++i)
      acc[static_cast<size_t>(s) * ld + i] = dpint::lsh<T>(Z(g.n0 + static_cast<int>(i), s), sh.fw);
  add_messages<true>(fwd, acc);
  dpint::WriteCounts cnt;
  for_samples<Q>([&](int s, std::uint64_t ks) {
    const T* as = acc + static_cast<size_t>(s) * ld;
    std::int64_t* us = u_.data() + static_cast<size_t>(s) * ld;
    for (size_t i = 0; i < un; ++i) {
      const dpint::ResidualStep r = residual_step<T, Q, O>(as[i], sh, ctx_.fx, rnd<Q>(ks, FxClass::Residual, i));
      cnt.add(r);
      us[i] = r.u.value;
    }
  });
  count_flags(FxClass::Residual, cnt);
}

}  // namespace sheafsim::mesh
