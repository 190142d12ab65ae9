#include "sheafsim/bitacc/arith_fixed.h"
#include "sheafsim/fixed/vertex_datapath.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <type_traits>

#include "fixed_kernels.h"
#include "sheafsim/fixed/fixed_modes.h"
#include "sheafsim/reference/activation.h"

namespace sheafsim {

using fx::shl;
using fx::wide;

namespace {

std::int64_t absdiff(std::int64_t a, std::int64_t b) { return a > b ? a - b : b - a; }

using fx::QuantTag;
using fx::with_det_modes;
using fx::with_quant;

// ---- Exact-double fast path ----------------------------------------------------
//
// Every value of the model is an integer (a raw fixed-point value or an exact
// sum of products of them). Held in a double, an integer of magnitude below
// 2^53 is exact, and so are the sum, difference and product of two of them
// whenever the exact result is below 2^53 in magnitude: IEEE 754 rounds only
// results it cannot represent. So a matrix product of integer matrices in
// double, by any algorithm and in any summation order (Eigen's blocked GEMM,
// FMA or not), is exact when sum_j |A_ij| |B_jk| < 2^53 for every entry:
// that bounds every partial sum. Scaling by a power of two is exact. The
// kernels below prove such bounds from the formats and from magnitudes of
// this step measured exactly (max |u|, the row and column sums of |W|,
// max |b|, max |x|, max |z|, max |a|), and fall back to the general integer
// path when a bound fails; the general path computes the same bits. The stalk
// registers z and a are checked to hold values of their format where they are
// read (an out-of-range value also falls back). Rounding, fitting and
// counting are then done in double by the kernels of fixed_kernels.h, which
// need IEEE round-to-nearest (checked each step) and |values| < 2^50 (part
// of each bound); see there for why one IEEE add is the register write.
//
// Bounds are computed exactly in unsigned 128-bit integers; every factor is
// capped at 2^60 (far above any threshold), so no product overflows.
using Bound = fx::uwide;
constexpr int kBoundCap = 60;
Bound b2(int n) { return Bound{1} << std::min(std::max(n, 0), kBoundCap); }
Bound bcap(Bound x) { return std::min(x, b2(kBoundCap)); }
Bound bmul(Bound x, Bound y) { return bcap(x) * bcap(y); }
// A measured magnitude: a non-negative integer-valued double.
Bound bnum(double x) { return x < 0x1p60 ? static_cast<Bound>(static_cast<std::uint64_t>(x)) : b2(kBoundCap); }

// dst = A * B in double (exact under the callers' bounds). Tiny inner or outer
// dimensions use rank-1 updates or matrix-vector products instead of a GEMM,
// as in the float model.
template <typename DA, typename DB>
void exact_product(Matrix& dst, const DA& A, const DB& B) {
  dst.resize(A.rows(), B.cols());
  if (A.cols() <= 4) {
    dst.noalias() = A.col(0) * B.row(0);
    for (Eigen::Index j = 1; j < A.cols(); ++j) dst.noalias() += A.col(j) * B.row(j);
  } else if (B.cols() <= 4) {
    for (Eigen::Index j = 0; j < B.cols(); ++j) dst.col(j).noalias() = A * B.col(j);
  } else {
    dst.noalias() = A * B;
  }
}

}  // namespace

// ---- Conversions ------------------------------------------------------------

IMatrix to_fixed(const Matrix& m, const fx::FixedFormat& f, const FixedConfig& cfg, FixedCounters& counters) {
  IMatrix out(m.rows(), m.cols());
  for (Eigen::Index i = 0; i < m.size(); ++i) {
    bool ovf = false;
    out.data()[i] = fx::from_double(m.data()[i], f, fx::Quant::RndConv, cfg.overflow, &ovf);
    if (ovf) counters.saturated(FxClass::Input, 1);
  }
  return out;
}

Matrix to_float(const IMatrix& m, const fx::FixedFormat& f) {
  return m.cast<double>() * f.lsb();  // exact: a power-of-two scale of an integer below 2^53
}

FixedNetwork to_fixed(const Network& net, const FixedConfig& cfg, FixedCounters& counters) {
  FixedNetwork fn;
  fn.layers = net.layers;
  fn.output = net.output;
  for (size_t k = 0; k < net.W.size(); ++k) {
    fn.W.push_back(to_fixed(net.W[k], cfg.weight, cfg, counters));
    fn.b.push_back(to_fixed(Matrix(net.b[k]), cfg.bias, cfg, counters));
  }
  return fn;
}

Network to_float(const FixedNetwork& fn, const FixedConfig& cfg) {
  Network net;
  net.layers = fn.layers;
  net.output = fn.output;
  for (size_t k = 0; k < fn.W.size(); ++k) {
    net.W.push_back(to_float(fn.W[k], cfg.weight));
    net.b.push_back(to_float(IMatrix(fn.b[k]), cfg.bias));
  }
  return net;
}

SheafState to_float(const FixedState& st, const FixedConfig& cfg) {
  SheafState out;
  for (const auto& z : st.z) out.z.push_back(to_float(z, cfg.stalk));
  for (const auto& a : st.a) out.a.push_back(to_float(a, cfg.stalk));
  if (st.has_output_vertex()) out.a_out = to_float(st.a_out, cfg.stalk);
  return out;
}

FixedState to_fixed(const SheafState& st, const FixedConfig& cfg, FixedCounters& counters) {
  FixedState out;
  for (const auto& z : st.z) out.z.push_back(to_fixed(z, cfg.stalk, cfg, counters));
  for (const auto& a : st.a) out.a.push_back(to_fixed(a, cfg.stalk, cfg, counters));
  if (st.has_output_vertex()) out.a_out = to_fixed(st.a_out, cfg.stalk, cfg, counters);
  return out;
}

FixedRunInfo FixedArith::run_info() const {
  FixedRunInfo info;
  info.config = cfg_;
  info.counters = counters_;
  info.s_raw = s_raw_;
  info.eta_raw = eta_raw_;
  info.s_used = static_cast<double>(s_raw_) * cfg_.constant.lsb();
  info.eta_used = static_cast<double>(eta_raw_) * cfg_.constant.lsb();
  return info;
}

Dataset pinned_values(const Dataset& data, const FixedConfig& cfg, FixedCounters& counters) {
  return {to_float(to_fixed(data.X, cfg.stalk, cfg, counters), cfg.stalk),
          to_float(to_fixed(data.Y, cfg.stalk, cfg, counters), cfg.stalk)};
}

nlohmann::json FixedRunInfo::to_json() const {
  nlohmann::json j = config.to_json();
  j["s_used"] = s_used;
  j["s_raw"] = s_raw;
  j["eta_used"] = eta_used;
  j["eta_raw"] = eta_raw;
  j["counters"] = counters.to_json();
  return j;
}

// ---- The arithmetic -----------------------------------------------------------

FixedArith::FixedArith(FixedConfig cfg) : cfg_(cfg) { cfg_.validate(); }

void FixedArith::prepare(Workspace& ws, const FixedNetwork& net, Eigen::Index batch) {
  const int L = net.depth();
  // Keep what loading the model counted (input saturations) when the shape matches.
  if (counters_.saturations[0].size() != static_cast<size_t>(L)) counters_.resize(L);
  ws.U.clear();
  ws.WtU.clear();
  int widest = 0;
  for (int k = 0; k < L; ++k) {
    ws.U.emplace_back(net.layers[k + 1], batch);
    if (k + 1 < L) ws.WtU.emplace_back(static_cast<size_t>(net.layers[k + 1] * batch));
    widest = std::max(widest, net.layers[k + 1] * std::max(net.layers[k], 1));
  }
  ws.g_out.resize(static_cast<size_t>(net.layers.back() * batch));
  // Exact sums stay exact in int64 when a bound on their magnitude is below
  // 2^62 (the result is the same either way; this is only speed).
  const int ws_ = cfg_.stalk.width(), ww = cfg_.weight.width(), wr = cfg_.residual.width(), wb = cfg_.bias.width();
  const int fs = cfg_.stalk.frac_bits, fw = cfg_.weight.frac_bits, fb = cfg_.bias.frac_bits;
  auto lg = [](double n) { return std::log2(n + 1.0); };
  ws.forward64.assign(static_cast<size_t>(L), false);
  ws.backward64.assign(static_cast<size_t>(L), false);
  ws.hebbian64.assign(static_cast<size_t>(L), false);
  for (int k = 0; k < L; ++k) {
    const double n_in = net.layers[k], n_out = net.layers[k + 1];
    const double fwd = std::max({static_cast<double>(ws_ - 1 + fw), static_cast<double>(wb - 1 + fw + fs - fb),
                                 lg(n_in) + ww - 1 + ws_ - 1}) + 2;
    ws.forward64[static_cast<size_t>(k)] = fwd < 62;
    ws.backward64[static_cast<size_t>(k)] = lg(n_out) + ww - 1 + wr - 1 + 1 < 62;
    ws.hebbian64[static_cast<size_t>(k)] = lg(static_cast<double>(batch)) + wr - 1 + ws_ - 1 + 1 < 62;
  }
  ws.WtU64.assign(static_cast<size_t>(std::max(L - 1, 0)), {});
  ws.n_next.assign(static_cast<size_t>(L), 0);
  for (int k = 0; k + 1 < L; ++k) {
    ws.WtU64[static_cast<size_t>(k)].resize(static_cast<size_t>(net.layers[k + 1] * batch));
    ws.n_next[static_cast<size_t>(k)] = net.layers[k + 2];
  }
  ws.update64.assign(static_cast<size_t>(L), false);
  ws.s_seen = -1;
  ws.acc.resize(static_cast<size_t>(std::max<Eigen::Index>(widest, *std::max_element(net.layers.begin(), net.layers.end()))));
  ws.acc64.resize(ws.acc.size());
  auto& F = ws.fast;
  const size_t nL = static_cast<size_t>(L), nH = static_cast<size_t>(std::max(L - 1, 0));
  F.Ud.assign(nL, Matrix());
  F.Wd.assign(nL, Matrix());
  F.Ws.assign(nL, Matrix());
  F.u_int_stamp.assign(nL, 0);
  F.bd.assign(nL, Vector());
  F.WtUd.assign(nH, Matrix());
  F.Ad.assign(nH, Matrix());
  F.umax.assign(nL, 0);
  F.zmax.assign(nL, 0);
  F.amax.assign(nH, 0);
  F.wrow.assign(nL, 0);
  F.wcol.assign(nL, 0);
  F.wtumax.assign(nH, 0);
  F.u_stamp.assign(nL, 0);
  F.z_stamp.assign(nL, 0);
  F.wtu_stamp.assign(nH, 0);
  F.a_stamp.assign(nH, 0);
  F.x_stamp = F.round_stamp = 0;
  F.hsum.assign(static_cast<size_t>(*std::max_element(net.layers.begin(), net.layers.end())), 0);
}

void FixedArith::load_constants(const StepParams& p) {
  if (p.s != s_cached_) {
    s_raw_ = quantize_constant(p.s, cfg_, "alpha*dt");
    s_cached_ = p.s;
  }
  if (p.eta != eta_cached_) {
    eta_raw_ = p.eta > 0 ? quantize_constant(p.eta, cfg_, "beta*dt") : 0;
    eta_cached_ = p.eta;
  }
}

std::uint64_t FixedArith::rnd(std::uint64_t sample, FxClass cls, int layer, std::uint64_t row) const {
  if (cfg_.quant != fx::Quant::Stoch) return 0;
  return fx::stoch_bits(cfg_.seed, step_, sample, edge::site(cls, layer, row));
}

wide FixedArith::acc_fit(wide v, int layer) {
  bool ovf = false;
  const wide out = vertex::acc_fit(v, cfg_.acc_bits, &ovf);
  if (ovf) counters_.saturated(FxClass::Accumulator, layer);
  return out;
}

std::int64_t FixedArith::acc_fit(std::int64_t v, int layer) {
  if (cfg_.acc_bits >= 64) return v;  // an int64 value always fits
  const std::int64_t hi = (std::int64_t{1} << (cfg_.acc_bits - 1)) - 1;
  return v > hi || v < -hi - 1 ? static_cast<std::int64_t>(acc_fit(wide{v}, layer)) : v;
}

void FixedArith::plan_update64(Workspace& ws) {
  // log2 bounds of every intermediate of update_hidden.
  const int ws_ = cfg_.stalk.width(), ww = cfg_.weight.width(), wr = cfg_.residual.width();
  const int fs = cfg_.stalk.frac_bits, fr = cfg_.residual.frac_bits, fw = cfg_.weight.frac_bits,
            fc = cfg_.constant.frac_bits;
  const int f1 = std::max(fr, fs), f2 = fw + fr;
  const double ls = std::log2(std::abs(static_cast<double>(s_raw_)) + 1.0);
  auto sum2 = [](double a, double b) { return std::max(a, b) + 1; };  // log2(2^a + 2^b) <= max + 1
  for (size_t k = 0; k + 1 < ws.update64.size(); ++k) {  // hidden layers
    const double gz = sum2(wr - 1 + f1 - fr, ws_ + f1 - fs);
    const double wtu = std::log2(ws.n_next[k] + 1.0) + ww - 1 + wr - 1;
    const double ga = sum2(ws_ + f2 - fs, wtu);
    ws.update64[k] = fc + f1 - fs < 63 && fc + f2 - fs < 63 && ws.backward64[k + 1] &&
                     sum2(ws_ - 1 + fc + f1 - fs, ls + gz) < 62 && sum2(ws_ - 1 + fc + f2 - fs, ls + ga) < 62 &&
                     ga < 62;
  }
}

template <fx::Quant Q>
std::int64_t FixedArith::write64(std::int64_t v, int frac, fx::FixedFormat f, fx::Overflow ov, FxClass cls,
                                 int layer, std::uint64_t sample, std::uint64_t row) {
  bool ovf = false;
  std::int64_t out;
  if constexpr (Q != fx::Quant::Stoch)  // the mode is a compile-time constant: straight-line rounding
    out = fx::quantize64(v, frac, f, Q, ov, &ovf);
  else  // as configured, with the random bits when that is stochastic rounding
    out = fx::quantize64(v, frac, f, cfg_.quant, ov, &ovf, rnd(sample, cls, layer, row));
  if (ovf) counters_.saturated(cls, layer);
  return out;
}

std::int64_t FixedArith::write(wide v, int frac, const fx::FixedFormat& f, FxClass cls, int layer,
                               std::uint64_t sample, std::uint64_t row) {
  bool ovf = false;
  const std::int64_t out = fx::quantize(v, frac, f, cfg_.quant, cfg_.overflow, &ovf, rnd(sample, cls, layer, row));
  if (ovf) counters_.saturated(cls, layer);
  return out;
}

void FixedArith::residual(Workspace& ws, int k, const FixedNetwork& net, const FixedState& st, const IMatrix& X) {
  // u = z - W a - b, exact at frac fw + fs in the accumulator, then one
  // rounding into the residual format.
  if (fast_enabled(ws) && residual_fast(ws, k, net, st, X)) return;
  const size_t li = static_cast<size_t>(k);
  const int layer = k + 1;
  const IMatrix& W = net.W[li];
  const IMatrix& prev = k == 0 ? X : st.a[li - 1];
  const IMatrix& z = st.z[li];
  const IVector& b = net.b[li];
  const int fw = cfg_.weight.frac_bits, fs = cfg_.stalk.frac_bits;
  const int frac = fw + fs, sb = frac - cfg_.bias.frac_bits;
  const Eigen::Index n = W.rows(), m = W.cols();
  IMatrix& U = ws.U[li];
  const fx::FixedFormat rf = cfg_.residual;  // by value: kept in registers across the loop
  const fx::Overflow ov = cfg_.overflow;
  auto run = [&](auto* acc, auto qtag) {
    using Acc = std::remove_pointer_t<decltype(acc)>;
    constexpr fx::Quant Q = decltype(qtag)::value;
    for (Eigen::Index c = 0; c < prev.cols(); ++c) {
      const std::int64_t* zcol = z.col(c).data();
      for (Eigen::Index i = 0; i < n; ++i) {
        if constexpr (std::is_same_v<Acc, std::int64_t>)
          acc[i] = fx::shl64(zcol[i], fw) - fx::shl64(b(i), sb);
        else
          acc[i] = shl(zcol[i], fw) - shl(b(i), sb);
      }
      if (n == 1) {  // a single output (regression): one dot product
        const std::int64_t* pcol = prev.col(c).data();
        Acc sum = 0;
        for (Eigen::Index j = 0; j < m; ++j) sum += Acc{W.data()[j]} * pcol[j];
        acc[0] -= sum;
      } else {
        for (Eigen::Index j = 0; j < m; ++j) {
          const Acc a = prev(j, c);
          if (a == 0) continue;
          const std::int64_t* wcol = W.col(j).data();
          for (Eigen::Index i = 0; i < n; ++i) acc[i] -= wcol[i] * a;
        }
      }
      std::int64_t* ucol = U.col(c).data();
      for (Eigen::Index i = 0; i < n; ++i) {
        const auto sample = static_cast<std::uint64_t>(c), row = static_cast<std::uint64_t>(i);
        if constexpr (std::is_same_v<Acc, std::int64_t>)
          ucol[i] = write64<Q>(acc_fit(acc[i], layer), frac, rf, ov, FxClass::Residual, layer, sample, row);
        else
          ucol[i] = write(acc_fit(acc[i], layer), frac, cfg_.residual, FxClass::Residual, layer, sample, row);
      }
    }
  };
  if (ws.forward64[li])
    with_quant(cfg_.quant, [&](auto q) { run(ws.acc64.data(), q); });
  else
    run(ws.acc.data(), QuantTag<fx::Quant::Stoch>{});
}

void FixedArith::backward(Workspace& ws, int k, const FixedNetwork& net) {
  // W_{k+2}^T u_{k+2}, exact at frac fw + fr; it enters g_a through the accumulator.
  if (fast_enabled(ws) && backward_fast(ws, k)) return;
  ensure_int_residual(ws, k + 1);
  const size_t li = static_cast<size_t>(k);
  const IMatrix& W = net.W[li + 1];
  const IMatrix& U = ws.U[li + 1];
  const Eigen::Index n = W.cols();  // rows of the result
  if (ws.backward64[li + 1]) {  // provably fits: 64-bit sums, read by the 64-bit stalk update
    std::int64_t* out = ws.WtU64[li].data();
    for (Eigen::Index c = 0; c < U.cols(); ++c) {
      const std::int64_t* ucol = U.col(c).data();
      for (Eigen::Index j = 0; j < n; ++j) {
        const std::int64_t* wcol = W.col(j).data();
        std::int64_t sum = 0;
        for (Eigen::Index i = 0; i < W.rows(); ++i) sum += wcol[i] * ucol[i];
        out[c * n + j] = sum;
      }
    }
    return;
  }
  for (Eigen::Index c = 0; c < U.cols(); ++c) {
    const std::int64_t* ucol = U.col(c).data();
    for (Eigen::Index j = 0; j < n; ++j) {
      const std::int64_t* wcol = W.col(j).data();
      wide sum = 0;
      for (Eigen::Index i = 0; i < W.rows(); ++i) sum += wide{wcol[i]} * ucol[i];
      ws.WtU[li][static_cast<size_t>(c * n + j)] = sum;
    }
  }
}

double FixedArith::output_force(Workspace& ws, const FixedNetwork& net, FixedState& st, const IMatrix* Y,
                                const StepParams& p) {
  load_constants(p);
  const int L = net.depth();
  const IMatrix& zL = st.z.back();
  const Eigen::Index n = zL.size();
  if (p.phase == Phase::Training && net.output == OutputKind::Identity) {
    // z_L - y: both stalk-format, exact.
    ws.g_out_frac = cfg_.stalk.frac_bits;
    for (Eigen::Index i = 0; i < n; ++i) ws.g_out[static_cast<size_t>(i)] = wide{zL.data()[i]} - Y->data()[i];
    return 0.0;
  }
  ws.g_out_frac = cfg_.residual.frac_bits;
  if (p.phase == Phase::Inference && !st.has_output_vertex()) {
    std::fill(ws.g_out.begin(), ws.g_out.end(), wide{0});
    return 0.0;
  }
  // The output nonlinearity is a lookup in hardware: phi is evaluated in double
  // on the exact stalk value and rounded once into the residual format.
  const Matrix P = apply_output(net.output, to_float(zL, cfg_.stalk));
  const Eigen::Index rows = zL.rows();
  auto to_residual = [&](const Matrix& v, Eigen::Index idx, std::uint64_t salt) {
    bool ovf = false;
    const std::uint64_t bits = rnd(static_cast<std::uint64_t>(idx / rows), FxClass::Output, L,
                                   static_cast<std::uint64_t>(idx % rows) | (salt << 32));
    const std::int64_t r = fx::from_double(v.data()[idx], cfg_.residual, cfg_.quant, cfg_.overflow, &ovf, bits);
    if (ovf) counters_.saturated(FxClass::Output, L);
    return r;
  };
  if (p.phase == Phase::Training) {
    const Matrix D = P - to_float(*Y, cfg_.stalk);  // cross-entropy force phi(z) - y
    for (Eigen::Index i = 0; i < n; ++i) ws.g_out[static_cast<size_t>(i)] = to_residual(D, i, 0);
    return 0.0;
  }
  // Inference with an output vertex: D = phi(z_L) - a_out, a_out += s D.
  const Matrix D = P - to_float(st.a_out, cfg_.stalk);
  const Matrix G = p.output_mode == OutputMode::Exact ? output_jacobian_t_times(net.output, P, D) : D;
  const int fs = cfg_.stalk.frac_bits, fr = cfg_.residual.frac_bits, fc = cfg_.constant.frac_bits;
  std::int64_t max_change = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const std::int64_t d = to_residual(D, i, 0);
    ws.g_out[static_cast<size_t>(i)] = to_residual(G, i, 1);
    std::int64_t& a = st.a_out.data()[i];
    const std::int64_t next = write(shl(a, fc + fr - fs) + wide{s_raw_} * d, fc + fr, cfg_.stalk, FxClass::Output, L,
                                    static_cast<std::uint64_t>(i / rows), static_cast<std::uint64_t>(i % rows) | (std::uint64_t{2} << 32));
    if (d != 0 && next == a) counters_.lost(FxClass::Output, L);
    max_change = std::max(max_change, absdiff(next, a));
    a = next;
  }
  return p.track_change ? static_cast<double>(max_change) * cfg_.stalk.lsb() : 0.0;
}

void FixedArith::hebbian(Workspace& ws, int k, FixedNetwork& net, const FixedState& st, const IMatrix& X,
                         const StepParams& p) {
  // H = sum_s u a^T exact (accumulator), then W += eta H rounded once; the same for b.
  load_constants(p);
  const size_t li = static_cast<size_t>(k);
  const int layer = k + 1;
  const IMatrix& U = ws.U[li];
  const IMatrix& prev = k == 0 ? X : st.a[li - 1];
  IMatrix& W = net.W[li];
  IVector& b = net.b[li];
  const Eigen::Index n = W.rows(), m = W.cols();
  wide* H = ws.acc.data();  // n x m, column-major
  wide* hb = ws.fast.hsum.data();  // n bias sums
  const bool fast = fast_enabled(ws) && hebbian_fast(ws, k, net);  // fills H and hb
  if (!fast) ensure_int_residual(ws, k);
  auto accumulate = [&](auto* h0) {
    using Acc = std::remove_pointer_t<decltype(h0)>;
    std::fill(h0, h0 + n * m, Acc{0});
    if (n == 1) {  // a single output row (regression): one dot product over the batch per input
      const std::int64_t* u = U.data();
      for (Eigen::Index j = 0; j < m; ++j) {
        Acc sum = 0;
        for (Eigen::Index c = 0; c < U.cols(); ++c) sum += Acc{u[c]} * prev(j, c);
        h0[j] = sum;
      }
      return;
    }
    for (Eigen::Index c = 0; c < U.cols(); ++c) {
      const std::int64_t* ucol = U.col(c).data();
      for (Eigen::Index j = 0; j < m; ++j) {
        const Acc a = prev(j, c);
        if (a == 0) continue;
        Acc* h = h0 + j * n;
        for (Eigen::Index i = 0; i < n; ++i) h[i] += ucol[i] * a;
      }
    }
  };
  if (fast) {
  } else if (ws.hebbian64[li]) {
    accumulate(ws.acc64.data());
    std::copy(ws.acc64.data(), ws.acc64.data() + n * m, H);
  } else {
    accumulate(H);
  }
  if (!fast) {
    for (Eigen::Index i = 0; i < n; ++i) {
      wide sum = 0;
      for (Eigen::Index c = 0; c < U.cols(); ++c) sum += U(i, c);
      hb[i] = sum;
    }
  }
  // The end-of-step writes are the edge unit's (edge_datapath.h, rtl/edge_unit.sv).
  auto commit = [&](std::int64_t& reg, const edge::Write& w, FxClass cls) {
    if (w.saturated) counters_.saturated(cls, layer);
    if (w.lost) counters_.lost(cls, layer);
    reg = w.value;
  };
  for (Eigen::Index j = 0; j < m; ++j)
    for (Eigen::Index i = 0; i < n; ++i)
      commit(W(i, j),
             edge::update_weight(W(i, j), acc_fit(H[j * n + i], layer), eta_raw_, cfg_,
                                 rnd(static_cast<std::uint64_t>(j), FxClass::Weight, layer, static_cast<std::uint64_t>(i))),
             FxClass::Weight);
  for (Eigen::Index i = 0; i < n; ++i) {
    commit(b(i),
           edge::update_bias(b(i), acc_fit(hb[i], layer), eta_raw_, cfg_,
                             rnd(0, FxClass::Bias, layer, static_cast<std::uint64_t>(i))),
           FxClass::Bias);
  }
}

template <typename T, fx::Quant Q>
double FixedArith::update_hidden_as(Workspace& ws, int k, FixedState& st, const StepParams& p, const T* wtu) {
  // g_z = u - m q at frac max(fr, fs); g_a = q - W^T u' in the accumulator at
  // frac fw + fr; z -= s g_z and a -= s g_a, each rounded once. T is int64
  // where plan_update64 proved every intermediate fits, else __int128.
  const size_t li = static_cast<size_t>(k);
  const int layer = k + 1;
  IMatrix& Z = st.z[li];
  IMatrix& A = st.a[li];
  const IMatrix& U = ws.U[li];
  const int fs = cfg_.stalk.frac_bits, fr = cfg_.residual.frac_bits, fw = cfg_.weight.frac_bits,
            fc = cfg_.constant.frac_bits;
  const int f1 = std::max(fr, fs), f2 = fw + fr, sh_z = fc + f1 - fs, sh_a = fc + f2 - fs;
  const T s = s_raw_;
  auto lsh = [](T v, int n) { return static_cast<T>(static_cast<typename fx::Unsigned<T>::type>(v) << n); };
  const fx::FixedFormat sf = cfg_.stalk;  // by value: kept in registers across the loop's stores
  const fx::Overflow ov = cfg_.overflow;
  auto store = [&](T v, int frac, FxClass cls, std::uint64_t sample, std::uint64_t row) {
    if constexpr (std::is_same_v<T, std::int64_t>)
      return write64<Q>(v, frac, sf, ov, cls, layer, sample, row);
    else
      return write(v, frac, cfg_.stalk, cls, layer, sample, row);
  };
  std::int64_t max_change = 0;
  std::uint64_t lost_z = 0, lost_a = 0;
  const bool track = p.track_change;
  const Eigen::Index rows = Z.rows();
  for (Eigen::Index c = 0; c < Z.cols(); ++c) {
    for (Eigen::Index i = 0; i < rows; ++i) {
      const Eigen::Index idx = c * rows + i;
      const std::int64_t z = Z.data()[idx], a = A.data()[idx];
      const bool active = z >= 0;
      const std::int64_t q = active ? a - z : a;  // ReLU-edge discord a - m z, exact
      const T gz = lsh(U.data()[idx], f1 - fr) - (active ? lsh(q, f1 - fs) : T{0});
      const T ga = acc_fit(static_cast<T>(lsh(q, f2 - fs) - wtu[idx]), layer);
      const std::uint64_t sample = static_cast<std::uint64_t>(c), row = static_cast<std::uint64_t>(i);
      const std::int64_t zn = store(lsh(z, sh_z) - s * gz, fc + f1, FxClass::Z, sample, row);
      const std::int64_t an = store(lsh(a, sh_a) - s * ga, fc + f2, FxClass::A, sample, row);
      // Branch-free bookkeeping in locals (most updates are lost at 16 bits).
      lost_z += static_cast<std::uint64_t>((gz != 0) & (zn == z));
      lost_a += static_cast<std::uint64_t>((ga != 0) & (an == a));
      if (track) max_change = std::max(max_change, std::max(absdiff(zn, z), absdiff(an, a)));
      Z.data()[idx] = zn;
      A.data()[idx] = an;
    }
  }
  counters_.lost_updates[static_cast<size_t>(FxClass::Z)][li] += lost_z;
  counters_.lost_updates[static_cast<size_t>(FxClass::A)][li] += lost_a;
  return p.track_change ? static_cast<double>(max_change) * cfg_.stalk.lsb() : 0.0;
}

double FixedArith::update_hidden(Workspace& ws, int k, FixedState& st, const StepParams& p) {
  double fast_change = 0;
  if (fast_enabled(ws) && update_hidden_fast(ws, k, st, p, &fast_change)) return fast_change;
  ensure_int_residual(ws, k);
  if (ws.s_seen != p.s) {
    plan_update64(ws);
    ws.s_seen = p.s;
  }
  const size_t li = static_cast<size_t>(k);
  if (ws.fast.wtu_stamp[li] == stamp()) {  // backward() ran on the fast path: its sums are in WtUd
    const Matrix& P = ws.fast.WtUd[li];
    for (Eigen::Index i = 0; i < P.size(); ++i) {
      const auto v = static_cast<std::int64_t>(P.data()[i]);  // an exact integer below 2^53
      if (ws.backward64[li + 1])
        ws.WtU64[li][static_cast<size_t>(i)] = v;
      else
        ws.WtU[li][static_cast<size_t>(i)] = v;
    }
  }
  if (!ws.update64[li]) {
    if (ws.backward64[li + 1])  // backward() left 64-bit sums; widen them for the 128-bit update
      std::copy(ws.WtU64[li].begin(), ws.WtU64[li].end(), ws.WtU[li].begin());
    return update_hidden_as<wide, fx::Quant::Stoch>(ws, k, st, p, ws.WtU[li].data());
  }
  return with_quant(cfg_.quant, [&](auto q) {
    return update_hidden_as<std::int64_t, decltype(q)::value>(ws, k, st, p, ws.WtU64[li].data());
  });
}

double FixedArith::update_output(Workspace& ws, FixedState& st, const StepParams& p) {
  double fast_change = 0;
  if (fast_enabled(ws) && update_output_fast(ws, st, p, &fast_change)) return fast_change;
  ensure_int_residual(ws, static_cast<int>(st.z.size()) - 1);
  const int L = static_cast<int>(st.z.size());
  IMatrix& Z = st.z.back();
  const IMatrix& U = ws.U.back();
  const int fs = cfg_.stalk.frac_bits, fr = cfg_.residual.frac_bits, fc = cfg_.constant.frac_bits;
  const int f = std::max({fr, fs, ws.g_out_frac});
  const wide s = s_raw_;
  std::int64_t max_change = 0;
  const Eigen::Index rows = Z.rows();
  for (Eigen::Index c = 0; c < Z.cols(); ++c) {
    for (Eigen::Index i = 0; i < rows; ++i) {
      const Eigen::Index idx = c * rows + i;
      const std::int64_t z = Z.data()[idx];
      const wide g = shl(U.data()[idx], f - fr) + shl(ws.g_out[static_cast<size_t>(idx)], f - ws.g_out_frac);
      const std::int64_t zn = write(shl(z, fc + f - fs) - s * g, fc + f, cfg_.stalk, FxClass::Z, L,
                                    static_cast<std::uint64_t>(c), static_cast<std::uint64_t>(i));
      if (g != 0 && zn == z) counters_.lost(FxClass::Z, L);
      max_change = std::max(max_change, absdiff(zn, z));
      Z.data()[idx] = zn;
    }
  }
  return p.track_change ? static_cast<double>(max_change) * cfg_.stalk.lsb() : 0.0;
}

// ---- Exact-double fast path (see the comment at the top of this file) ---------

bool FixedArith::fast_enabled(Workspace& ws) {
  if (cfg_.quant == fx::Quant::Stoch) return false;  // needs random bits per rounding: general path
  if (ws.fast.round_stamp != stamp()) {  // the environment is read once per step
    ws.fast.round_ok = xd::exact_doubles_ok();
    ws.fast.round_stamp = stamp();
  }
  return ws.fast.round_ok;
}

bool FixedArith::residual_fast(Workspace& ws, int k, const FixedNetwork& net, const FixedState& st,
                               const IMatrix& X) {
  auto& F = ws.fast;
  const size_t li = static_cast<size_t>(k);
  const std::uint64_t now = stamp();
  const int wS = cfg_.stalk.width();
  const int fs = cfg_.stalk.frac_bits, fw = cfg_.weight.frac_bits, fb = cfg_.bias.frac_bits,
            fr = cfg_.residual.frac_bits;
  const int sb = fw + fs - fb, d = fw + fs - fr;
  // Stalks and residuals of at most 48 bits keep every biased value in range.
  if (wS > 48 || cfg_.residual.width() > 48 || d < 0) return false;
  // The previous layer's values, as doubles, and a bound on their magnitude.
  const Matrix* prev = nullptr;
  Bound pmax = 0;
  if (k == 0) {
    if (F.x_stamp != now) {  // the pinned input: any int64 (it is not a register), so measured
      F.Xd.resize(X.rows(), X.cols());
      std::int64_t xm = 0;
      for (Eigen::Index i = 0; i < X.size(); ++i) {
        const std::int64_t x = X.data()[i];
        if (x > (std::int64_t{1} << 52) || x < -(std::int64_t{1} << 52)) return false;
        xm = std::max(xm, x < 0 ? -x : x);
        F.Xd.data()[i] = static_cast<double>(x);  // exact: |x| <= 2^52
      }
      F.xmax = static_cast<Bound>(xm);
      F.x_stamp = now;
    }
    prev = &F.Xd;
    pmax = F.xmax;
  } else {
    const IMatrix& a = st.a[li - 1];
    if (F.a_stamp[li - 1] != now) {  // a_k: converted once per step, checked to lie in the stalk format
      Matrix& Ad = F.Ad[li - 1];
      Ad.resize(a.rows(), a.cols());
      double am = 0;
      if (!fxk::convert_checked(a.data(), Ad.data(), a.size(), wS, &am)) return false;
      F.amax[li - 1] = bnum(am);
      F.a_stamp[li - 1] = now;
    }
    prev = &F.Ad[li - 1];
    pmax = b2(wS - 1);
  }
  // W as doubles (Wd for W^T u; Ws = W 2^-d for the residual), with the exact
  // row and column sums of |W|; b 2^(sb-d) and max |b|.
  const IMatrix& W = net.W[li];
  const IVector& b = net.b[li];
  Matrix& Wd = F.Wd[li];
  Matrix& Ws = F.Ws[li];
  Wd.resize(W.rows(), W.cols());
  Ws.resize(W.rows(), W.cols());
  std::vector<Bound> colsum(static_cast<size_t>(W.cols()), 0), rowsum(static_cast<size_t>(W.rows()), 0);
  const double inv_d = std::ldexp(1.0, -d);
  for (Eigen::Index j = 0; j < W.cols(); ++j)
    for (Eigen::Index i = 0; i < W.rows(); ++i) {
      const std::int64_t w = W(i, j);
      if (w > (std::int64_t{1} << 52) || w < -(std::int64_t{1} << 52)) return false;
      const Bound aw = static_cast<Bound>(w < 0 ? -w : w);
      colsum[static_cast<size_t>(j)] += aw;
      rowsum[static_cast<size_t>(i)] += aw;
      Wd(i, j) = static_cast<double>(w);  // exact: |w| <= 2^52
      Ws(i, j) = Wd(i, j) * inv_d;        // exact: a power-of-two scaling
    }
  F.wrow[li] = *std::max_element(rowsum.begin(), rowsum.end());
  F.wcol[li] = *std::max_element(colsum.begin(), colsum.end());
  Vector& bd = F.bd[li];
  bd.resize(b.size());
  std::int64_t bm = 0;
  for (Eigen::Index i = 0; i < b.size(); ++i) {
    if (b(i) > (std::int64_t{1} << 52) || b(i) < -(std::int64_t{1} << 52)) return false;
    bm = std::max(bm, b(i) < 0 ? -b(i) : b(i));
    bd(i) = std::ldexp(static_cast<double>(b(i)), sb - d);  // exact: a power-of-two scaling
  }
  // acc = z 2^fw - b 2^sb - sum_j W_ij prev_j: every partial sum is at most
  // Bf = 2^(ws-1) 2^fw + max|b| 2^sb + max_i sum_j |W_ij| max|prev|. Bf < 2^53
  // makes the double products and sums of acc 2^-d exact (in any order: Eigen
  // or the kernel's loop); Bf < 2^(acc_bits-1) means the accumulator does not
  // wrap (acc_fit is the identity, nothing is counted); Bf 2^-d < 2^49 keeps
  // the rounding kernel's sums below 2^50.
  const Bound Bf = b2(wS - 1 + fw) + bmul(static_cast<Bound>(bm), b2(sb)) + bmul(F.wrow[li], pmax);
  if (!(Bf < b2(53) && Bf < b2(cfg_.acc_bits - 1) && Bf < b2(std::min(53, 49 + d)))) return false;
  const IMatrix& z = st.z[li];
  Matrix& Ud = F.Ud[li];
  fxk::ResidualArgs args;
  args.z = z.data();
  args.rows = z.rows();
  args.cols = z.cols();
  args.bias = bd.data();
  args.zs = std::ldexp(1.0, fw - d);
  args.R = fxk::Range::of(cfg_.residual);
  args.z_width = wS;
  const bool small = W.cols() <= 4;  // a few inputs: fused into the rounding pass
  Ud.resize(z.rows(), z.cols());
  if (small) {
    args.ws = Ws.data();
    args.prev = prev->data();
    args.n_in = W.cols();
  } else {
    exact_product(F.P, Ws, *prev);  // sum_j W_ij 2^-d prev_j
    args.prod = F.P.data();
  }
  args.ud = Ud.data();
  // First without the clamp; if any value left the residual register, again
  // with it (the inputs are unchanged, only Ud is rewritten).
  auto run = [&](auto fit_tag) {
    return with_det_modes(cfg_.quant, cfg_.overflow, [&](auto q, auto o) {
      constexpr fx::Quant Q = decltype(q)::value;
      constexpr fx::Overflow O = decltype(o)::value;
      constexpr bool kFit = decltype(fit_tag)::value;
      switch (small ? args.n_in : 0) {
        case 1: return fxk::residual_round<Q, O, 1, kFit>(args);
        case 2: return fxk::residual_round<Q, O, 2, kFit>(args);
        case 3: return fxk::residual_round<Q, O, 3, kFit>(args);
        case 4: return fxk::residual_round<Q, O, 4, kFit>(args);
        default: return fxk::residual_round<Q, O, 0, kFit>(args);
      }
    });
  };
  fxk::Counts c = run(std::false_type{});
  if (!c.in_range) return false;  // z outside its format: the general path
  if (!c.fits) c = run(std::true_type{});
  counters_.saturations[static_cast<size_t>(FxClass::Residual)][li] += static_cast<std::uint64_t>(c.saturated);
  F.umax[li] = bnum(c.max_abs);
  F.zmax[li] = bnum(c.max_in);
  F.u_stamp[li] = F.z_stamp[li] = now;
  return true;
}

void FixedArith::ensure_int_residual(Workspace& ws, int k) {
  auto& F = ws.fast;
  const size_t li = static_cast<size_t>(k);
  if (F.u_stamp[li] != stamp() || F.u_int_stamp[li] == stamp()) return;
  fxk::to_int64(F.Ud[li].data(), ws.U[li].data(), ws.U[li].size());
  F.u_int_stamp[li] = stamp();
}

bool FixedArith::backward_fast(Workspace& ws, int k) {
  auto& F = ws.fast;
  const size_t li = static_cast<size_t>(k);
  if (F.u_stamp[li + 1] != stamp()) return false;
  // |sum_i W_ij u_i| <= max_j sum_i |W_ij| max|u|: every partial sum is exact below 2^53.
  const Bound B = bmul(F.wcol[li + 1], F.umax[li + 1]);
  if (!(B < b2(53))) return false;
  exact_product(F.WtUd[li], F.Wd[li + 1].transpose(), F.Ud[li + 1]);
  F.wtumax[li] = B;
  F.wtu_stamp[li] = stamp();
  return true;
}

bool FixedArith::hebbian_fast(Workspace& ws, int k, FixedNetwork& net) {
  auto& F = ws.fast;
  const size_t li = static_cast<size_t>(k);
  const std::uint64_t now = stamp();
  if (F.u_stamp[li] != now) return false;
  const Matrix* prev = nullptr;
  Bound pmax = 0;
  if (k == 0) {
    if (F.x_stamp != now) return false;
    prev = &F.Xd;
    pmax = F.xmax;
  } else {
    if (F.a_stamp[li - 1] != now) return false;
    prev = &F.Ad[li - 1];
    pmax = b2(cfg_.stalk.width() - 1);
  }
  const Matrix& Ud = F.Ud[li];
  // H = sum_s u a^T and h = sum_s u: |partial sums| <= batch max|u| max|a| (and batch max|u|).
  const Bound batch = static_cast<Bound>(Ud.cols());
  if (!(bmul(bmul(batch, F.umax[li]), pmax) < b2(53) && bmul(batch, F.umax[li]) < b2(53))) return false;
  exact_product(F.H, Ud, prev->transpose());
  const Eigen::Index n = net.W[li].rows(), m = net.W[li].cols();
  for (Eigen::Index j = 0; j < m; ++j)
    for (Eigen::Index i = 0; i < n; ++i) ws.acc[static_cast<size_t>(j * n + i)] = static_cast<std::int64_t>(F.H(i, j));
  F.hrow.noalias() = Ud.rowwise().sum();  // vectorised over the rows (a strided sum per row is latency-bound)
  for (Eigen::Index i = 0; i < n; ++i) F.hsum[static_cast<size_t>(i)] = static_cast<std::int64_t>(F.hrow(i));
  return true;
}

bool FixedArith::update_hidden_fast(Workspace& ws, int k, FixedState& st, const StepParams& p, double* max_change) {
  auto& F = ws.fast;
  const size_t li = static_cast<size_t>(k);
  const std::uint64_t now = stamp();
  // u_k, W^T u_{k+1} from this step; z_k (residual k) and a_k (residual k+1) checked in range.
  if (F.u_stamp[li] != now || F.wtu_stamp[li] != now || F.z_stamp[li] != now || F.a_stamp[li] != now) return false;
  if (s_raw_ == 0) return false;
  const int fs = cfg_.stalk.frac_bits, fr = cfg_.residual.frac_bits, fw = cfg_.weight.frac_bits,
            fc = cfg_.constant.frac_bits;
  const int f1 = std::max(fr, fs), f2 = fw + fr, dz = fc + f1 - fs, da = fc + f2 - fs;
  const Bound S = static_cast<Bound>(s_raw_ < 0 ? -s_raw_ : s_raw_);
  // |q| = |a - m z| <= max|a| + max|z| (measured this step when z and a were
  // read and range-checked); g_z = u 2^(f1-fr) - m q 2^(f1-fs),
  // g_a = q 2^(f2-fs) - W^T u. Their bounds below 2^53 make g exact; g_a below
  // 2^(acc_bits-1) means the accumulator does not wrap; s g below 2^53 makes
  // the product exact (and s g 2^-d, a power-of-two scaling of it); s g 2^-d
  // < 2^49 with |z|, |a| < 2^47 keeps the rounding kernel's sums below 2^50.
  const Bound qB = F.amax[li] + F.zmax[li];
  const Bound Bz = bmul(F.umax[li], b2(f1 - fr)) + bmul(qB, b2(f1 - fs));
  const Bound Ba = bmul(qB, b2(f2 - fs)) + F.wtumax[li];
  if (!(Bz < b2(53) && Ba < b2(53) && Ba < b2(cfg_.acc_bits - 1) && bmul(S, Bz) < b2(std::min(53, 49 + dz)) &&
        bmul(S, Ba) < b2(std::min(53, 49 + da))))
    return false;
  // No result can leave the stalk register when |z| + |s g_z 2^-dz| + 1 <= max_raw
  // (rounding moves a value by less than 1), the same for a: then the kernel
  // skips the clamp and the saturation count (there is nothing to count).
  const Bound hi = static_cast<Bound>(cfg_.stalk.max_raw());
  const bool fit = !(F.zmax[li] + (bmul(S, Bz) >> std::min(dz, 120)) + 2 <= hi &&
                     F.amax[li] + (bmul(S, Ba) >> std::min(da, 120)) + 2 <= hi);
  // wz = u cu - m q cq = -s g_z 2^-dz, wa = q cqa - wtu cw = -s g_a 2^-da (exact,
  // see above: each product is -s times a term of the bounded sums, scaled).
  fxk::HiddenParams P;
  const double ms = -static_cast<double>(s_raw_);  // exact: |s| < 2^53
  P.cu = std::ldexp(ms, f1 - fr - dz);
  P.cq = std::ldexp(ms, f1 - fs - dz);
  P.cqa = std::ldexp(ms, f2 - fs - da);
  P.cw = std::ldexp(ms, -da);
  P.R = fxk::Range::of(cfg_.stalk);
  IMatrix& Z = st.z[li];
  IMatrix& A = st.a[li];
  const fxk::Counts c = with_det_modes(cfg_.quant, cfg_.overflow, [&](auto q, auto o) {
    constexpr fx::Quant Q = decltype(q)::value;
    constexpr fx::Overflow O = decltype(o)::value;
    std::int64_t* const z = Z.data();
    std::int64_t* const a = A.data();
    const double* const u = F.Ud[li].data();
    const double* const w = F.WtUd[li].data();
    if (p.track_change)
      return fit ? fxk::hidden_update<Q, O, true, true>(z, a, u, w, Z.size(), P)
                 : fxk::hidden_update<Q, O, true, false>(z, a, u, w, Z.size(), P);
    return fit ? fxk::hidden_update<Q, O, false, true>(z, a, u, w, Z.size(), P)
               : fxk::hidden_update<Q, O, false, false>(z, a, u, w, Z.size(), P);
  });
  counters_.saturations[static_cast<size_t>(FxClass::Z)][li] += static_cast<std::uint64_t>(c.saturated);
  counters_.saturations[static_cast<size_t>(FxClass::A)][li] += static_cast<std::uint64_t>(c.saturated_a);
  counters_.lost_updates[static_cast<size_t>(FxClass::Z)][li] += static_cast<std::uint64_t>(c.lost_z);
  counters_.lost_updates[static_cast<size_t>(FxClass::A)][li] += static_cast<std::uint64_t>(c.lost_a);
  *max_change = p.track_change ? c.max_abs * cfg_.stalk.lsb() : 0.0;
  return true;
}

bool FixedArith::update_output_fast(Workspace& ws, FixedState& st, const StepParams& p, double* max_change) {
  auto& F = ws.fast;
  const size_t li = st.z.size() - 1;
  const std::uint64_t now = stamp();
  if (F.u_stamp[li] != now || F.z_stamp[li] != now || s_raw_ == 0) return false;
  const int fs = cfg_.stalk.frac_bits, fr = cfg_.residual.frac_bits, fc = cfg_.constant.frac_bits;
  const int f = std::max({fr, fs, ws.g_out_frac}), d = fc + f - fs;
  IMatrix& Z = st.z[li];
  const Eigen::Index n = Z.size();
  wide gmax = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const wide g = ws.g_out[static_cast<size_t>(i)];
    gmax = std::max(gmax, g < 0 ? -g : g);
  }
  if (gmax >= (wide{1} << 52)) return false;
  // g = u 2^(f-fr) + g_out 2^(f-fg): exact below 2^53; s g exact below 2^53,
  // s g 2^-d < 2^49 for the rounding kernel (|z| < 2^47).
  const Bound S = static_cast<Bound>(s_raw_ < 0 ? -s_raw_ : s_raw_);
  const Bound Bg = bmul(F.umax[li], b2(f - fr)) + bmul(static_cast<Bound>(gmax), b2(f - ws.g_out_frac));
  if (!(Bg < b2(53) && bmul(S, Bg) < b2(std::min(53, 49 + d)))) return false;
  F.g.resize(static_cast<size_t>(n));
  const double su = std::ldexp(1.0, f - fr), sg = std::ldexp(1.0, f - ws.g_out_frac);
  const double* u = F.Ud[li].data();
  for (Eigen::Index i = 0; i < n; ++i)
    F.g[static_cast<size_t>(i)] = u[i] * su + static_cast<double>(static_cast<std::int64_t>(ws.g_out[static_cast<size_t>(i)])) * sg;
  const double cs = std::ldexp(-static_cast<double>(s_raw_), -d);
  const fxk::Counts c = with_det_modes(cfg_.quant, cfg_.overflow, [&](auto q, auto o) {
    constexpr fx::Quant Q = decltype(q)::value;
    constexpr fx::Overflow O = decltype(o)::value;
    const fxk::Range R = fxk::Range::of(cfg_.stalk);
    return p.track_change ? fxk::stalk_update<Q, O, true>(Z.data(), F.g.data(), n, cs, R)
                          : fxk::stalk_update<Q, O, false>(Z.data(), F.g.data(), n, cs, R);
  });
  counters_.saturations[static_cast<size_t>(FxClass::Z)][li] += static_cast<std::uint64_t>(c.saturated);
  counters_.lost_updates[static_cast<size_t>(FxClass::Z)][li] += static_cast<std::uint64_t>(c.lost_z);
  *max_change = p.track_change ? c.max_abs * cfg_.stalk.lsb() : 0.0;
  return true;
}

}  // namespace sheafsim
