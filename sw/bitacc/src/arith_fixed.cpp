#include "sheafsim/bitacc/arith_fixed.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <type_traits>

#include "sheafsim/bitacc/output_force.h"
#include "sheafsim/fixed/datapath_int.h"
#include "sheafsim/fixed/fixed_modes.h"
#include "sheafsim/fixed/vertex_datapath.h"

namespace sheafsim {

using fx::shl;
using fx::wide;

namespace {

std::int64_t absdiff(std::int64_t a, std::int64_t b) { return a > b ? a - b : b - a; }

using fx::with_modes;

}  // namespace

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
  if (pinned_) pins_.set_step(p.s, cfg_);
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

std::int64_t FixedArith::write(wide v, int frac, const fx::FixedFormat& f, FxClass cls, int layer,
                               std::uint64_t sample, std::uint64_t row) {
  bool ovf = false;
  const std::int64_t out = fx::quantize(v, frac, f, cfg_.quant, cfg_.overflow, &ovf, rnd(sample, cls, layer, row));
  if (ovf) counters_.saturated(cls, layer);
  return out;
}

void FixedArith::residual(Workspace& ws, int k, const FixedNetwork& net, const FixedState& st, const IMatrix& X) {
  // u = z - W a - b, exact at frac fw + fs in the accumulator, then one
  // rounding into the residual format (dpint::residual, in int64 where the
  // sums provably fit, else __int128).
  if (fast_enabled(ws) && residual_fast(ws, k, net, st, X)) return;
  const size_t li = static_cast<size_t>(k);
  const int layer = k + 1;
  const IMatrix& W = net.W[li];
  const IMatrix& prev = k == 0 ? (st.x.size() > 0 ? st.x : X) : st.a[li - 1];  // st.x: the input with free coordinates
  const IMatrix& z = st.z[li];
  const IVector& b = net.b[li];
  const dpint::Shifts sh(cfg_);
  const int fw = sh.fw, sb = fw + sh.fs - cfg_.bias.frac_bits;
  const Eigen::Index n = W.rows(), m = W.cols();
  IMatrix& U = ws.U[li];
  auto run = [&](auto* acc, auto qtag, auto otag) {
    using Acc = std::remove_pointer_t<decltype(acc)>;
    constexpr fx::Quant Q = decltype(qtag)::value;
    constexpr fx::Overflow O = decltype(otag)::value;
    dpint::WriteCounts cnt;
    for (Eigen::Index c = 0; c < prev.cols(); ++c) {
      const std::int64_t* zcol = z.col(c).data();
      for (Eigen::Index i = 0; i < n; ++i) acc[i] = dpint::lsh<Acc>(zcol[i], fw) - dpint::lsh<Acc>(b(i), sb);
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
        const std::uint64_t r = Q == fx::Quant::Stoch
                                    ? rnd(static_cast<std::uint64_t>(c), FxClass::Residual, layer, static_cast<std::uint64_t>(i))
                                    : 0;
        const dpint::ResidualStep w = dpint::residual<Acc, Q, O>(acc[i], sh, r);
        cnt.add(w);
        ucol[i] = w.u.value;
      }
    }
    counters_.add(FxClass::Residual, layer, cnt.saturated);
    counters_.add(FxClass::Accumulator, layer, cnt.acc_wrapped);
  };
  with_modes(cfg_.quant, cfg_.overflow, [&](auto q, auto o) {
    if (ws.forward64[li])
      run(ws.acc64.data(), q, o);
    else
      run(ws.acc.data(), q, o);
  });
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
  // The output nonlinearity is a lookup in hardware (output_force.h): phi is
  // evaluated in double on the exact stalk value and rounded once into the
  // residual format; in inference the output vertex a_out moves too.
  const bool train = p.phase == Phase::Training;
  const OutputForceResult r = output_lookup_force(net.output, p.output_mode, zL, train ? Y : nullptr,
                                                  train ? nullptr : &st.a_out, s_raw_, cfg_, step_, L, ws.g_out.data(),
                                                  pinned_ && pins_.a_out.pinned() ? &pins_.a_out : nullptr);
  counters_.add(FxClass::Output, L, r.saturated, r.lost);
  if (train) return 0.0;
  return p.track_change ? static_cast<double>(r.max_change) * cfg_.stalk.lsb() : 0.0;
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

template <typename T, fx::Quant Q, fx::Overflow O, bool Pinned>
double FixedArith::update_hidden_int(Workspace& ws, int k, FixedState& st, const StepParams& p, const T* wtu) {
  // g_z = u - m q at frac max(fr, fs); g_a = q - W^T u' in the accumulator at
  // frac fw + fr; z -= s g_z and a -= s g_a, each rounded once
  // (dpint::hidden_update). T is int64 where plan_update64 proved every
  // intermediate fits, else __int128.
  const size_t li = static_cast<size_t>(k);
  const int layer = k + 1;
  IMatrix& Z = st.z[li];
  IMatrix& A = st.a[li];
  const IMatrix& U = ws.U[li];
  const dpint::Shifts sh(cfg_);
  const std::int64_t s = s_raw_;
  std::int64_t max_change = 0;
  dpint::WriteCounts cnt;
  const bool track = p.track_change;
  const Eigen::Index rows = Z.rows();
  const FixedStalkPins* pz = Pinned ? &pins_.z[li] : nullptr;
  const FixedStalkPins* pa = Pinned ? &pins_.a[li] : nullptr;
  for (Eigen::Index c = 0; c < Z.cols(); ++c) {
    for (Eigen::Index i = 0; i < rows; ++i) {
      const Eigen::Index idx = c * rows + i;
      const std::int64_t z = Z.data()[idx], a = A.data()[idx];
      std::uint64_t rz = 0, ra = 0;
      if constexpr (Q == fx::Quant::Stoch) {
        rz = rnd(static_cast<std::uint64_t>(c), FxClass::Z, layer, static_cast<std::uint64_t>(i));
        ra = rnd(static_cast<std::uint64_t>(c), FxClass::A, layer, static_cast<std::uint64_t>(i));
      }
      vertex::HiddenStep h = [&] {
        if constexpr (Pinned)  // soft pulls inside the writes (§4.3)
          return dpint::hidden_update<T, Q, O>(z, a, U.data()[idx], wtu[idx], s, sh, rz, ra, pz->soft_row(i),
                                               pa->soft_row(i));
        else
          return dpint::hidden_update<T, Q, O>(z, a, U.data()[idx], wtu[idx], s, sh, rz, ra);
      }();
      if constexpr (Pinned) discard_hard(h, pz->hard_row(i), pa->hard_row(i), z, a);  // not counted (§4.3)
      cnt.add(h);  // branch-free bookkeeping in locals (most updates are lost at 16 bits)
      if (track) max_change = std::max(max_change, std::max(absdiff(h.z.value, z), absdiff(h.a.value, a)));
      Z.data()[idx] = h.z.value;
      A.data()[idx] = h.a.value;
    }
  }
  counters_.add(FxClass::Z, layer, cnt.saturated, cnt.lost);
  counters_.add(FxClass::A, layer, cnt.saturated_a, cnt.lost_a);
  counters_.add(FxClass::Accumulator, layer, cnt.acc_wrapped);
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
  return with_modes(cfg_.quant, cfg_.overflow, [&](auto q, auto o) {
    constexpr fx::Quant Q = decltype(q)::value;
    constexpr fx::Overflow O = decltype(o)::value;
    // Pinned layers run in __int128: the 64-bit bounds do not cover the soft pulls.
    const bool pinned = pinned_ && (pins_.z[li].pinned() || pins_.a[li].pinned());
    if (ws.update64[li] && !pinned) return update_hidden_int<std::int64_t, Q, O, false>(ws, k, st, p, ws.WtU64[li].data());
    if (ws.backward64[li + 1])  // backward() left 64-bit sums; widen them for the 128-bit update
      std::copy(ws.WtU64[li].begin(), ws.WtU64[li].end(), ws.WtU[li].begin());
    if (pinned) return update_hidden_int<wide, Q, O, true>(ws, k, st, p, ws.WtU[li].data());
    return update_hidden_int<wide, Q, O, false>(ws, k, st, p, ws.WtU[li].data());
  });
}

double FixedArith::update_output(Workspace& ws, FixedState& st, const StepParams& p) {
  double fast_change = 0;
  if (fast_enabled(ws) && update_output_fast(ws, st, p, &fast_change)) return fast_change;
  ensure_int_residual(ws, static_cast<int>(st.z.size()) - 1);
  const int L = static_cast<int>(st.z.size());
  IMatrix& Z = st.z.back();
  const IMatrix& U = ws.U.back();
  const dpint::Shifts sh(cfg_);
  const int gof = ws.g_out_frac;
  const std::int64_t s = s_raw_;
  std::int64_t max_change = 0;
  dpint::WriteCounts cnt;
  const Eigen::Index rows = Z.rows();
  const FixedStalkPins* pz = pinned_ && pins_.z.back().pinned() ? &pins_.z.back() : nullptr;
  with_modes(cfg_.quant, cfg_.overflow, [&](auto q, auto o) {
    constexpr fx::Quant Q = decltype(q)::value;
    constexpr fx::Overflow O = decltype(o)::value;
    for (Eigen::Index c = 0; c < Z.cols(); ++c) {
      for (Eigen::Index i = 0; i < rows; ++i) {
        const Eigen::Index idx = c * rows + i;
        const std::int64_t z = Z.data()[idx];
        const std::uint64_t r =
            Q == fx::Quant::Stoch ? rnd(static_cast<std::uint64_t>(c), FxClass::Z, L, static_cast<std::uint64_t>(i)) : 0;
        if (pz != nullptr && pz->hard_row(i)) continue;  // discarded: apply_hard_pins writes it (§4.3)
        const edge::Write w = dpint::output_update<wide, Q, O>(z, U.data()[idx], ws.g_out[static_cast<size_t>(idx)],
                                                               gof, s, sh, r, pz != nullptr ? pz->soft_row(i) : vertex::SoftPin{});
        cnt.add(w);
        max_change = std::max(max_change, absdiff(w.value, z));
        Z.data()[idx] = w.value;
      }
    }
  });
  counters_.add(FxClass::Z, L, cnt.saturated, cnt.lost);
  return p.track_change ? static_cast<double>(max_change) * cfg_.stalk.lsb() : 0.0;
}

}  // namespace sheafsim
