#include "sheafsim/mesh/pe_datapath.h"

#include <algorithm>
#include <cmath>

#include "sheafsim/mesh/fast64.h"
#include "sheafsim/mesh/mesh_context.h"
#include "sheafsim/mesh/vertex_simd.h"
#include "sheafsim/fixed/vertex_datapath.h"

namespace sheafsim::mesh {

void PartialSums::measure_bound() {
  bound = 0;
  switch (kind) {
    case Kind::Double:
      for (const double v : dbl) bound = std::max(bound, static_cast<fx::uwide>(std::fabs(v)));
      break;
    case Kind::Narrow:
      bound = fast::max_abs(narrow.data(), narrow.size());
      break;
    case Kind::Wide:
      for (const fx::wide v : wide) bound = std::max(bound, fast::mag(v));
      break;
  }
}

Message PartialSums::view(int n0, int n1, int base, int n) const {
  Message m;
  m.n0 = n0;
  m.n1 = n1;
  m.bound = bound;
  const auto off = static_cast<size_t>(n0 - base);
  switch (kind) {
    case Kind::Double:
      m.dbl = dbl.data() + off;
      m.dstride = ld;
      m.zero_pad = n0 == base && n1 == base + n;  // the whole block: lanes [n, ld) of every row are 0
      break;
    case Kind::Narrow:
      m.narrow = narrow.data() + off;
      m.stride = static_cast<size_t>(n);
      break;
    case Kind::Wide:
      m.wide = wide.data() + off;
      m.stride = static_cast<size_t>(n);
      break;
  }
  return m;
}

void TileOperand::set(const Mailbox& box, int base, int n, int batch) {
  msgs_ = &box.messages();
  base_ = base;
  n_ = n;
  batch_ = batch;
  have_raw_ = have_dbl_ = false;
  all_dbl_ = box.all_double();
  bound_ = box.bound_max();
}

const std::vector<std::int64_t>& TileOperand::raw() {
  if (!have_raw_) {
    const auto ld = static_cast<size_t>(n_);
    raw_.resize(ld * static_cast<size_t>(batch_));
    for (const Message& m : *msgs_) {
      if (m.narrow != nullptr || m.dbl != nullptr)
        assemble<std::int64_t>(m, base_, ld, batch_, raw_.data());
      else
        for_each_value(m, base_, ld, batch_, [&](size_t i, fx::wide v) { raw_[i] = static_cast<std::int64_t>(v); });
    }
    have_raw_ = true;
  }
  return raw_;
}

TileOperand::Doubles TileOperand::dbl() {
  if (!all_dbl_) return {};
  if (msgs_->size() == 1 && msgs_->front().n0 == base_ && msgs_->front().size() == n_)
    return {msgs_->front().dbl, msgs_->front().dstride};  // one message covers the block: read it in place
  const size_t ld = simd::padded(n_);
  if (!have_dbl_) {
    dbl_.resize(simd::padded_size(n_, batch_));
    for (const Message& m : *msgs_) assemble<double>(m, base_, ld, batch_, dbl_.data());
    have_dbl_ = true;
  }
  return {dbl_.data(), ld};
}

namespace {

using fast::uwide;
using simd::kLanes;
using simd::vd;
using Stride = Eigen::OuterStride<>;
using DMap = Eigen::Map<Eigen::MatrixXd, 0, Stride>;
using CDMap = Eigen::Map<const Eigen::MatrixXd, 0, Stride>;

// ---- Tile products in doubles ------------------------------------------------------
// Every kernel below computes sums of products of integers held in doubles.
// The callers prove sum |x| |y| <= 2^53 over every sum (then every partial
// sum, in any order, is an integer below 2^53: exact, FMA contraction or not).

// Tiles up to this many vectors of rows (rows <= kMaxVectors * kLanes) use the
// register-blocked kernels; larger ones Eigen's GEMM.
constexpr int kMaxVectors = 12;

// P[s * ldp + i] = init[i] + sum_j M[j * ldm + i] X[s * ldx + j] for every lane i < R * kLanes
// (M and init padded with zeros: the padding lanes of P are 0). kMax: returns max |P|, else 0.
template <int R, bool kMax>
double product_kernel(const double* M, size_t ldm, const double* init, const double* X, size_t ldx, int inner, int B,
                      double* P, size_t ldp) {
  vd mx = vd{};
  vd ini[R];
  for (int r = 0; r < R; ++r) ini[r] = simd::load(init + r * kLanes);
  int s = 0;
  if constexpr (R <= 6) {  // two samples at a time: each weight vector loaded once for both
    for (; s + 2 <= B; s += 2) {
      vd acc0[R], acc1[R];
      for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = ini[r];
      const double* x0 = X + static_cast<size_t>(s) * ldx;
      const double* x1 = x0 + ldx;
      for (int j = 0; j < inner; ++j) {
        const vd a0 = simd::splat(x0[j]), a1 = simd::splat(x1[j]);
        const double* m = M + static_cast<size_t>(j) * ldm;
        for (int r = 0; r < R; ++r) {
          const vd w = simd::load(m + r * kLanes);
          acc0[r] += w * a0;
          acc1[r] += w * a1;
        }
      }
      double* p0 = P + static_cast<size_t>(s) * ldp;
      for (int r = 0; r < R; ++r) {
        simd::store(p0 + r * kLanes, acc0[r]);
        simd::store(p0 + ldp + r * kLanes, acc1[r]);
        if constexpr (kMax) mx = simd::vmax(mx, simd::vmax(simd::vabs(acc0[r]), simd::vabs(acc1[r])));
      }
    }
  }
  for (; s < B; ++s) {
    vd acc[R];
    for (int r = 0; r < R; ++r) acc[r] = ini[r];
    const double* x = X + static_cast<size_t>(s) * ldx;
    for (int j = 0; j < inner; ++j) {
      const vd a = simd::splat(x[j]);
      const double* m = M + static_cast<size_t>(j) * ldm;
      for (int r = 0; r < R; ++r) acc[r] += simd::load(m + r * kLanes) * a;
    }
    for (int r = 0; r < R; ++r) {
      simd::store(P + static_cast<size_t>(s) * ldp + r * kLanes, acc[r]);
      if constexpr (kMax) mx = simd::vmax(mx, simd::vabs(acc[r]));
    }
  }
  return simd::hmax(mx);
}

// One output row: P[s * ldp] = init + sum_j Wr[j] X[s * ldx + j], vectorised over j
// (Wr padded with zeros to C * kLanes; X's rows are read as whole vectors); the
// padding lanes P[s * ldp + 1 .. ldp) are set to 0.
// (ldp = padded(1) = kLanes: one vector per sample.)
template <int C>
void row_kernel(const double* Wr, double init, const double* X, size_t ldx, int B, double* P) {
  vd w[C];
  for (int c = 0; c < C; ++c) w[c] = simd::load(Wr + c * kLanes);
  for (int s = 0; s < B; ++s) {
    const double* x = X + static_cast<size_t>(s) * ldx;
    vd acc = w[0] * simd::load(x);
    for (int c = 1; c < C; ++c) acc += w[c] * simd::load(x + c * kLanes);
    double r = init;
    for (int l = 0; l < kLanes; ++l) r += acc[l];
    vd out = vd{};
    out[0] = r;
    simd::store(P + static_cast<size_t>(s) * kLanes, out);
  }
}

// H[j * ldh + i] = sum_s U[s * ldu + i] A[s * lda + j] for every lane i < R * kLanes
// (U's rows are read as whole vectors), and, when hb is set, hb[i] = sum_s U[s * ldu + i].
template <int R>
void hebbian_kernel(const double* U, size_t ldu, const double* A, size_t lda, int cols, int B, double* H, size_t ldh,
                    double* hb) {
  int j = 0;
  if constexpr (R <= 6) {
    for (; j + 2 <= cols; j += 2) {
      vd acc0[R] = {}, acc1[R] = {};
      for (int s = 0; s < B; ++s) {
        const double* a = A + static_cast<size_t>(s) * lda + j;
        const vd a0 = simd::splat(a[0]), a1 = simd::splat(a[1]);
        const double* u = U + static_cast<size_t>(s) * ldu;
        for (int r = 0; r < R; ++r) {
          const vd x = simd::load(u + r * kLanes);
          acc0[r] += x * a0;
          acc1[r] += x * a1;
        }
      }
      for (int r = 0; r < R; ++r) {
        simd::store(H + static_cast<size_t>(j) * ldh + r * kLanes, acc0[r]);
        simd::store(H + static_cast<size_t>(j + 1) * ldh + r * kLanes, acc1[r]);
      }
    }
  }
  for (; j < cols; ++j) {
    vd acc[R] = {};
    for (int s = 0; s < B; ++s) {
      const vd a = simd::splat(A[static_cast<size_t>(s) * lda + static_cast<size_t>(j)]);
      const double* u = U + static_cast<size_t>(s) * ldu;
      for (int r = 0; r < R; ++r) acc[r] += simd::load(u + r * kLanes) * a;
    }
    for (int r = 0; r < R; ++r) simd::store(H + static_cast<size_t>(j) * ldh + r * kLanes, acc[r]);
  }
  if (hb != nullptr) {
    vd acc[R] = {};
    for (int s = 0; s < B; ++s) {
      const double* u = U + static_cast<size_t>(s) * ldu;
      for (int r = 0; r < R; ++r) acc[r] += simd::load(u + r * kLanes);
    }
    for (int r = 0; r < R; ++r) simd::store(hb + r * kLanes, acc[r]);
  }
}

// Calls f(std::integral_constant<int, R>) for R = vectors in 1..kMaxVectors.
template <typename F>
void with_vectors(int vectors, F&& f) {
  switch (vectors) {
    case 1: f(std::integral_constant<int, 1>{}); break;
    case 2: f(std::integral_constant<int, 2>{}); break;
    case 3: f(std::integral_constant<int, 3>{}); break;
    case 4: f(std::integral_constant<int, 4>{}); break;
    case 5: f(std::integral_constant<int, 5>{}); break;
    case 6: f(std::integral_constant<int, 6>{}); break;
    case 7: f(std::integral_constant<int, 7>{}); break;
    case 8: f(std::integral_constant<int, 8>{}); break;
    case 9: f(std::integral_constant<int, 9>{}); break;
    case 10: f(std::integral_constant<int, 10>{}); break;
    case 11: f(std::integral_constant<int, 11>{}); break;
    default: f(std::integral_constant<int, 12>{}); break;
  }
}
template <typename F>
double with_vectors_r(int vectors, F&& f) {
  double r = 0;
  with_vectors(vectors, [&](auto rv) { r = f(rv); });
  return r;
}
int vectors(int n) { return (n + kLanes - 1) / kLanes; }

// The same for a small tile (R vectors of rows, K inner terms, R * K <= 8):
// the weights stay in registers for every sample.
template <int R, int K>
void small_kernel(const double* M, size_t ldm, const double* init, const double* X, size_t ldx, int B, double* P,
                  size_t ldp) {
  vd w[K][R], ini[R];
  for (int j = 0; j < K; ++j)
    for (int r = 0; r < R; ++r) w[j][r] = simd::load(M + static_cast<size_t>(j) * ldm + r * kLanes);
  for (int r = 0; r < R; ++r) ini[r] = simd::load(init + r * kLanes);
  for (int s = 0; s < B; ++s) {
    const double* x = X + static_cast<size_t>(s) * ldx;
    vd acc[R];
    for (int r = 0; r < R; ++r) acc[r] = ini[r];
    for (int j = 0; j < K; ++j) {
      const vd a = simd::splat(x[j]);
      for (int r = 0; r < R; ++r) acc[r] += w[j][r] * a;
    }
    for (int r = 0; r < R; ++r) simd::store(P + static_cast<size_t>(s) * ldp + r * kLanes, acc[r]);
  }
}
template <int R, int K>
using Small = std::pair<std::integral_constant<int, R>, std::integral_constant<int, K>>;
// Calls f(Small<R, K>) for 1 <= R, K <= 4 with R * K <= 8; false otherwise.
template <typename F>
bool with_small(int R, int K, F&& f) {
  if (R < 1 || R > 4 || K < 1 || K > 4) return false;
  switch (R * 10 + K) {
    case 11: f(Small<1, 1>{}); return true;
    case 12: f(Small<1, 2>{}); return true;
    case 13: f(Small<1, 3>{}); return true;
    case 14: f(Small<1, 4>{}); return true;
    case 21: f(Small<2, 1>{}); return true;
    case 22: f(Small<2, 2>{}); return true;
    case 23: f(Small<2, 3>{}); return true;
    case 24: f(Small<2, 4>{}); return true;
    case 31: f(Small<3, 1>{}); return true;
    case 32: f(Small<3, 2>{}); return true;
    case 41: f(Small<4, 1>{}); return true;
    case 42: f(Small<4, 2>{}); return true;
    default: return false;
  }
}
// P = init + M X (product_kernel's contract) by the smallest kernel that fits.
template <bool kMax>
double tile_product(int R, const double* M, size_t ldm, const double* init, const double* X, size_t ldx, int inner,
                    int B, double* P, size_t ldp) {
  if (!kMax && with_small(R, inner, [&](auto rk) {
        small_kernel<decltype(rk)::first_type::value, decltype(rk)::second_type::value>(M, ldm, init, X, ldx, B, P, ldp);
      }))
    return 0;
  return with_vectors_r(R, [&](auto rv) { return product_kernel<decltype(rv)::value, kMax>(M, ldm, init, X, ldx, inner, B, P, ldp); });
}


// The same products with Eigen for larger tiles (dst = A * B; tiny inner or
// outer dimensions as rank-1 updates or matrix-vector products).
template <typename DA, typename DB>
void eigen_product(DMap& dst, const DA& A, const DB& B) {
  if (A.cols() <= 4) {
    dst.noalias() = A.col(0) * B.row(0);
    for (Eigen::Index j = 1; j < A.cols(); ++j) dst.noalias() += A.col(j) * B.row(j);
  } else if (B.cols() <= 4) {
    for (Eigen::Index j = 0; j < B.cols(); ++j) dst.col(j).noalias() = A * B.col(j);
  } else {
    dst.noalias() = A * B;
  }
}

// A tile's weights: magnitudes for the bounds.
struct TileStats {
  uwide wmax = 0, row_sum = 0, col_sum = 0;  // max |W|, max_i sum_j |W_ij|, max_j sum_i |W_ij|
};

// Exact sums; the only wrap is the Hebbian accumulator's (the forward and
// backward sums are wrapped where they are reduced). Each product is computed
// in doubles when its operands come as doubles (the vertex units send them
// when exact) and this step's magnitudes bound every sum by 2^53 (the sums
// then go out as doubles), else in 64-bit integers when they bound it below
// 2^63, else in __int128. The bounds: forward max_i sum_j |W_ij| max|a| +
// max|b| 2^sb, backward max_j sum_i |W_ij| max|u|, Hebbian B max|u| max|a|.
// The weight and bias writes run in 64 bits when every intermediate of
// edge::update_weight / update_bias fits (fast64.h).
class ModelPeDatapath final : public PeDatapath {
 public:
  explicit ModelPeDatapath(const MeshContext& ctx) : ctx_(ctx) {}

  void forward(const Tile& t, int B, const IMatrix& W, const IVector& b, TileOperand& a, PartialSums& out) override {
    const int rows = t.r1 - t.r0, cols = t.c1 - t.c0;
    const FixedConfig& f = ctx_.fx;
    const int sb = f.weight.frac_bits + f.stalk.frac_bits - f.bias.frac_bits;
    const TileStats ws = tile_stats(t, W);
    const uwide bmax = t.has_bias() ? fast::block_max_abs(b, t.r0, rows, 0, 1) : 0;
    out.bound = fast::add(fast::mul(ws.row_sum, a.bound()), fast::shl(bmax, sb));
    const TileOperand::Doubles ad =
        out.bound <= fast::kDouble && ws.wmax <= fast::kDouble ? a.dbl() : TileOperand::Doubles{};
    if (ad.p != nullptr) {
      const int R = vectors(rows);
      const size_t ldw = simd::padded(rows);
      load_tile(t, W, false);
      init_.assign(ldw, 0.0);
      if (t.has_bias())
        for (int i = 0; i < rows; ++i) init_[static_cast<size_t>(i)] = std::ldexp(static_cast<double>(b(t.r0 + i)), sb);
      if (rows == 1 && vectors(cols) <= kMaxVectors) {  // one row: a dot product per sample
        wrow_.assign(simd::padded(cols), 0.0);
        for (int j = 0; j < cols; ++j) wrow_[static_cast<size_t>(j)] = static_cast<double>(W(t.r0, t.c0 + j));
        double* P = out.use_double(ldw, B);
        with_vectors(vectors(cols), [&](auto cv) {
          row_kernel<decltype(cv)::value>(wrow_.data(), init_[0], ad.p, ad.ld, B, P);  // ldw = kLanes
        });
      } else if (R <= kMaxVectors) {
        double* P = out.use_double(ldw, B);
        tile_product<false>(R, w_.data(), ldw, init_.data(), ad.p, ad.ld, cols, B, P, ldw);
      } else {
        double* p = out.use_double(ldw, B);
        std::fill(out.dbl.begin(), out.dbl.end(), 0.0);  // the padding lanes
        DMap P(p, rows, B, Stride(static_cast<Eigen::Index>(ldw)));
        eigen_product(P, CDMap(w_.data(), rows, cols, Stride(static_cast<Eigen::Index>(ldw))),
                      CDMap(ad.p, cols, B, Stride(static_cast<Eigen::Index>(ad.ld))));
        for (int s = 0; s < B; ++s)
          for (int i = 0; i < rows; ++i) P(i, s) += init_[static_cast<size_t>(i)];
      }
      return;
    }
    const std::vector<std::int64_t>& av = a.raw();
    const size_t n = static_cast<size_t>(rows) * static_cast<size_t>(B);
    if (out.bound < fast::kInt64) {
      std::int64_t* ps = out.use_narrow(n);
      for (int s = 0; s < B; ++s) {
        const std::int64_t* as = av.data() + static_cast<size_t>(s) * static_cast<size_t>(cols);
        for (int i = 0; i < rows; ++i) {
          std::int64_t acc = t.has_bias() ? fx::shl64(b(t.r0 + i), sb) : 0;
          for (int j = 0; j < cols; ++j) acc += W(t.r0 + i, t.c0 + j) * as[j];
          ps[static_cast<size_t>(s * rows + i)] = acc;
        }
      }
      return;
    }
    fx::wide* ps = out.use_wide(n);
    for (int s = 0; s < B; ++s)
      for (int i = 0; i < rows; ++i) {
        fx::wide acc = t.has_bias() ? fx::shl(b(t.r0 + i), sb) : fx::wide{0};
        for (int j = 0; j < cols; ++j) acc += fx::wide{W(t.r0 + i, t.c0 + j)} * av[static_cast<size_t>(s * cols + j)];
        ps[static_cast<size_t>(s * rows + i)] = acc;
      }
  }

  void backward(const Tile& t, int B, const IMatrix& W, TileOperand& u, PartialSums& out) override {
    const int rows = t.r1 - t.r0, cols = t.c1 - t.c0;
    const TileStats ws = tile_stats(t, W);
    out.bound = fast::mul(ws.col_sum, u.bound());
    const TileOperand::Doubles ud =
        out.bound <= fast::kDouble && ws.wmax <= fast::kDouble ? u.dbl() : TileOperand::Doubles{};
    if (ud.p != nullptr) {
      const int R = vectors(cols);
      const size_t ldt = simd::padded(cols);
      load_tile(t, W, true);  // W^T, cols x rows
      if (R <= kMaxVectors) {
        init_.assign(ldt, 0.0);
        double* P = out.use_double(ldt, B);
        // The measured max |W^T u| tightens the bound the vertex unit sums (worth it above a few rows).
        const double mx = rows > 4 ? tile_product<true>(R, w_.data(), ldt, init_.data(), ud.p, ud.ld, rows, B, P, ldt)
                                   : tile_product<false>(R, w_.data(), ldt, init_.data(), ud.p, ud.ld, rows, B, P, ldt);
        if (rows > 4) out.bound = std::min(out.bound, static_cast<uwide>(mx));
      } else {
        double* p = out.use_double(ldt, B);
        std::fill(out.dbl.begin(), out.dbl.end(), 0.0);  // the padding lanes
        DMap P(p, cols, B, Stride(static_cast<Eigen::Index>(ldt)));
        eigen_product(P, CDMap(w_.data(), cols, rows, Stride(static_cast<Eigen::Index>(ldt))),
                      CDMap(ud.p, rows, B, Stride(static_cast<Eigen::Index>(ud.ld))));
      }
      return;
    }
    const std::vector<std::int64_t>& uv = u.raw();
    const size_t n = static_cast<size_t>(cols) * static_cast<size_t>(B);
    if (out.bound < fast::kInt64) {
      std::int64_t* bs = out.use_narrow(n);
      for (int s = 0; s < B; ++s) {
        const std::int64_t* us = uv.data() + static_cast<size_t>(s) * static_cast<size_t>(rows);
        for (int j = 0; j < cols; ++j) {
          std::int64_t sum = 0;
          for (int i = 0; i < rows; ++i) sum += W(t.r0 + i, t.c0 + j) * us[i];
          bs[static_cast<size_t>(s * cols + j)] = sum;
        }
      }
      return;
    }
    fx::wide* bs = out.use_wide(n);
    for (int s = 0; s < B; ++s)
      for (int j = 0; j < cols; ++j) {
        fx::wide sum = 0;
        for (int i = 0; i < rows; ++i) sum += fx::wide{W(t.r0 + i, t.c0 + j)} * uv[static_cast<size_t>(s * rows + i)];
        bs[static_cast<size_t>(s * cols + j)] = sum;
      }
  }

  void hebbian_update(const Tile& t, int B, TileOperand& u, TileOperand& a, const IMatrix& W, const IVector& b,
                      TileWrites& out) override {
    const int rows = t.r1 - t.r0, cols = t.c1 - t.c0;
    const FixedConfig& f = ctx_.fx;
    const auto n = static_cast<size_t>(rows) * static_cast<size_t>(cols);
    const size_t nb = t.has_bias() ? static_cast<size_t>(rows) : 0;
    out.w.resize(n);
    out.w_acc_wrapped.resize(n);
    out.b.resize(nb);
    out.b_acc_wrapped.resize(nb);
    const uwide umax = u.bound(), amax = a.bound();
    // H(i, j) = sum_s u a and h(i) = sum_s u: exact in 64 bits below these bounds.
    const uwide hbound = fast::mul(fast::mul(static_cast<uwide>(B), umax), amax);
    const uwide hbbound = fast::mul(static_cast<uwide>(B), umax);
    const bool h64 = hbound < fast::kInt64;
    const bool hb64 = hbbound < fast::kInt64;
    // The weight and bias writes in 64 bits when (shifted old value) + eta * (wrapped sum) fits.
    const uwide acc_max = fast::pow2(f.acc_bits - 1), eta = fast::mag(ctx_.eta_raw);
    const int dw = f.constant.frac_bits + f.residual.frac_bits + f.stalk.frac_bits - f.weight.frac_bits;
    const int db = f.constant.frac_bits + f.residual.frac_bits - f.bias.frac_bits;
    const uwide wmax = fast::block_max_abs(W, t.r0, rows, t.c0, cols);
    const uwide bmax = t.has_bias() ? fast::block_max_abs(b, t.r0, rows, 0, 1) : 0;
    const bool w64 = h64 && dw >= 0 && dw < 63 &&
                     fast::add(fast::shl(wmax, dw), fast::mul(eta, std::min(hbound, acc_max))) < fast::kInt64;
    const bool b64 = hb64 && db >= 0 && db < 63 &&
                     fast::add(fast::shl(bmax, db), fast::mul(eta, std::min(hbbound, acc_max))) < fast::kInt64;

    // H, row-major [i * cols + j] (the order of the writes), and h.
    const bool dbl = hbound <= fast::kDouble && hbbound <= fast::kDouble;
    const TileOperand::Doubles ud = dbl ? u.dbl() : TileOperand::Doubles{};
    const TileOperand::Doubles ad = ud.p != nullptr ? a.dbl() : TileOperand::Doubles{};
    hb_.resize(nb);
    if (ad.p != nullptr && rows < kLanes && cols > rows && vectors(cols) <= kMaxVectors) {
      // A tile thinner than a vector: H^T = A U^T, vectorised over the columns.
      const size_t ldc = simd::padded(cols);
      hd_.resize(ldc * static_cast<size_t>(rows) + ldc);
      with_vectors(vectors(cols), [&](auto rv) {
        hebbian_kernel<decltype(rv)::value>(ad.p, ad.ld, ud.p, ud.ld, rows, B, hd_.data(), ldc, nullptr);
      });
      h64_.resize(n);
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j)
          h64_[static_cast<size_t>(i * cols + j)] =
              static_cast<std::int64_t>(hd_[static_cast<size_t>(i) * ldc + static_cast<size_t>(j)]);
      for (size_t i = 0; i < nb; ++i) {
        double h = 0;  // sum_s u: every partial sum |.| <= hbbound <= 2^53
        for (int s = 0; s < B; ++s) h += ud.p[static_cast<size_t>(s) * ud.ld + i];
        hb_[i] = static_cast<std::int64_t>(h);
      }
    } else if (ad.p != nullptr) {
      const int R = vectors(rows);
      const size_t ldh = simd::padded(rows);
      hd_.resize(ldh * static_cast<size_t>(cols) + ldh);
      double* hbd = hd_.data() + ldh * static_cast<size_t>(cols);  // the bias sums after H
      if (R <= kMaxVectors) {
        with_vectors(R, [&](auto rv) {
          hebbian_kernel<decltype(rv)::value>(ud.p, ud.ld, ad.p, ad.ld, cols, B, hd_.data(), ldh,
                                              nb > 0 ? hbd : nullptr);
        });
      } else {
        DMap H(hd_.data(), rows, cols, Stride(static_cast<Eigen::Index>(ldh)));
        const CDMap U(ud.p, rows, B, Stride(static_cast<Eigen::Index>(ud.ld)));
        eigen_product(H, U, CDMap(ad.p, cols, B, Stride(static_cast<Eigen::Index>(ad.ld))).transpose());
        if (nb > 0)
          for (int i = 0; i < rows; ++i) hbd[i] = U.row(i).sum();
      }
      h64_.resize(n);
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j)
          h64_[static_cast<size_t>(i * cols + j)] =
              static_cast<std::int64_t>(hd_[static_cast<size_t>(j) * ldh + static_cast<size_t>(i)]);
      for (size_t i = 0; i < nb; ++i) hb_[i] = static_cast<std::int64_t>(hbd[i]);
    } else {
      const std::vector<std::int64_t>& uv = u.raw();
      const std::vector<std::int64_t>& av = a.raw();
      if (h64) {
        h64_.resize(n);
        for (int i = 0; i < rows; ++i)
          for (int j = 0; j < cols; ++j) {
            std::int64_t h = 0;
            for (int s = 0; s < B; ++s) h += uv[static_cast<size_t>(s * rows + i)] * av[static_cast<size_t>(s * cols + j)];
            h64_[static_cast<size_t>(i * cols + j)] = h;
          }
      } else {
        hw_.resize(n);
        for (int i = 0; i < rows; ++i)
          for (int j = 0; j < cols; ++j) {
            fx::wide h = 0;
            for (int s = 0; s < B; ++s) h += fx::wide{uv[static_cast<size_t>(s * rows + i)]} * av[static_cast<size_t>(s * cols + j)];
            hw_[static_cast<size_t>(i * cols + j)] = h;
          }
      }
      for (size_t i = 0; i < nb; ++i) {
        fx::wide h = 0;
        if (hb64) {
          std::int64_t sum = 0;
          for (int s = 0; s < B; ++s) sum += uv[static_cast<size_t>(s) * static_cast<size_t>(rows) + i];
          h = sum;
        } else {
          for (int s = 0; s < B; ++s) h += uv[static_cast<size_t>(s) * static_cast<size_t>(rows) + i];
        }
        hb_[i] = h;
      }
    }

    if (w64) {
      fast::with_modes(f.quant, f.overflow, [&](auto q, auto o) { weights64(q, o, t, W, out); });
    } else {
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) {
          const auto k = static_cast<size_t>(i * cols + j);
          bool wrapped = false;
          const fx::wide h = vertex::acc_fit(h64 ? fx::wide{h64_[k]} : hw_[k], f.acc_bits, &wrapped);
          const int gi = t.r0 + i, gj = t.c0 + j;
          out.w[k] = edge::update_weight(W(gi, gj), h, ctx_.eta_raw, f,
                                         ctx_.rnd(static_cast<std::uint64_t>(gj), FxClass::Weight, t.layer,
                                                  static_cast<std::uint64_t>(gi)));
          out.w_acc_wrapped[k] = wrapped;
        }
    }
    for (size_t i = 0; i < nb; ++i) {
      bool wrapped = false;
      const int gi = t.r0 + static_cast<int>(i);
      const std::uint64_t rnd = ctx_.rnd(0, FxClass::Bias, t.layer, static_cast<std::uint64_t>(gi));
      if (b64) {
        const std::int64_t h = fast::acc_wrap64(static_cast<std::int64_t>(hb_[i]), f.acc_bits, &wrapped);
        fast::with_modes(f.quant, f.overflow, [&](auto q, auto o) {
          out.b[i] = bias64<decltype(q)::value, decltype(o)::value>(b(gi), h, rnd);
        });
      } else {
        const fx::wide h = vertex::acc_fit(hb_[i], f.acc_bits, &wrapped);
        out.b[i] = edge::update_bias(b(gi), h, ctx_.eta_raw, f, rnd);
      }
      out.b_acc_wrapped[i] = wrapped;
    }
  }

 private:
  // w_ = the tile's weights as doubles, column-major rows x cols (or, transposed,
  // cols x rows), the leading dimension padded() with zero padding (exact:
  // callers check |W| <= 2^53).
  void load_tile(const Tile& t, const IMatrix& W, bool transposed) {
    const int rows = t.r1 - t.r0, cols = t.c1 - t.c0;
    const size_t ld = simd::padded(transposed ? cols : rows);
    w_.assign(ld * static_cast<size_t>(transposed ? rows : cols), 0.0);
    for (int j = 0; j < cols; ++j) {
      const std::int64_t* col = &W(t.r0, t.c0 + j);
      for (int i = 0; i < rows; ++i) {
        const size_t k = transposed ? static_cast<size_t>(i) * ld + static_cast<size_t>(j)
                                    : static_cast<size_t>(j) * ld + static_cast<size_t>(i);
        w_[k] = static_cast<double>(col[i]);
      }
    }
  }

  // edge::update_weight for every weight of the tile, in 64 bits (w64 proved
  // that W << dw, eta * H and their sum fit), H from h64_.
  template <typename QT, typename OT>
  void weights64(QT, OT, const Tile& t, const IMatrix& W, TileWrites& out) {
    constexpr fx::Quant Q = QT::value;
    constexpr fx::Overflow O = OT::value;
    const FixedConfig& f = ctx_.fx;
    const int rows = t.r1 - t.r0, cols = t.c1 - t.c0;
    const int frac = f.constant.frac_bits + f.residual.frac_bits + f.stalk.frac_bits;
    const int dw = frac - f.weight.frac_bits, ww = f.weight.width();
    const std::int64_t eta = ctx_.eta_raw;
    // Stochastic bits of weight (gi, gj): stoch_bits(seed, step, gj, site(Weight, layer, gi)).
    if constexpr (Q == fx::Quant::Stoch) {
      keys_.resize(static_cast<size_t>(cols));
      const std::uint64_t k1 = fast::step_key(f.seed, ctx_.step);
      for (int j = 0; j < cols; ++j) keys_[static_cast<size_t>(j)] = fast::sample_key(k1, static_cast<std::uint64_t>(t.c0 + j));
    }
    for (int i = 0; i < rows; ++i) {
      const int gi = t.r0 + i;
      const std::uint64_t site = edge::site(FxClass::Weight, t.layer, static_cast<std::uint64_t>(gi));
      for (int j = 0; j < cols; ++j) {
        const auto k = static_cast<size_t>(i * cols + j);
        bool wrapped = false;
        const std::int64_t h = fast::acc_wrap64(h64_[k], f.acc_bits, &wrapped);
        const std::int64_t w = W(gi, t.c0 + j);
        const std::int64_t delta = eta * h;
        const std::uint64_t rnd = Q == fx::Quant::Stoch ? fast::bits(keys_[static_cast<size_t>(j)], site) : 0;
        edge::Write& wr = out.w[k];
        wr.value = fast::write64<Q, O>(fx::shl64(w, dw) + delta, dw, ww, &wr.saturated, rnd);
        wr.lost = delta != 0 && wr.value == w;
        out.w_acc_wrapped[k] = wrapped;
      }
    }
  }

  // edge::update_bias in 64 bits (b64 proved that it fits).
  template <fx::Quant Q, fx::Overflow O>
  edge::Write bias64(std::int64_t b, std::int64_t h, std::uint64_t rnd) const {
    const FixedConfig& f = ctx_.fx;
    const int db = f.constant.frac_bits + f.residual.frac_bits - f.bias.frac_bits;
    const std::int64_t delta = ctx_.eta_raw * h;
    edge::Write out;
    out.value = fast::write64<Q, O>(fx::shl64(b, db) + delta, db, f.bias.width(), &out.saturated, rnd);
    out.lost = delta != 0 && out.value == b;
    return out;
  }

  // Sums in 64 bits saturating at 2^62 (far above any threshold): |W| <= 2^63, so no add wraps.
  TileStats tile_stats(const Tile& t, const IMatrix& W) {
    constexpr std::uint64_t kSat = std::uint64_t{1} << 62;
    const int rows = t.r1 - t.r0, cols = t.c1 - t.c0;
    std::uint64_t wmax = 0, col_sum = 0;
    row_sums_.assign(static_cast<size_t>(rows), 0);
    for (int j = 0; j < cols; ++j) {
      const std::int64_t* col = &W(t.r0, t.c0 + j);
      std::uint64_t cs = 0;
      for (int i = 0; i < rows; ++i) {
        const std::uint64_t m = col[i] < 0 ? 0 - static_cast<std::uint64_t>(col[i]) : static_cast<std::uint64_t>(col[i]);
        wmax = std::max(wmax, m);
        cs = std::min(cs + m, kSat);
        row_sums_[static_cast<size_t>(i)] = std::min(row_sums_[static_cast<size_t>(i)] + m, kSat);
      }
      col_sum = std::max(col_sum, cs);
    }
    TileStats st;
    st.wmax = wmax;
    st.col_sum = col_sum;
    for (const std::uint64_t r : row_sums_) st.row_sum = std::max(st.row_sum, static_cast<uwide>(r));
    return st;
  }

  const MeshContext& ctx_;
  std::vector<std::uint64_t> row_sums_;
  // Scratch kept across calls (no allocation once the largest tile has run).
  std::vector<double> w_, wrow_, init_, hd_;
  std::vector<std::int64_t> h64_;
  std::vector<fx::wide> hw_, hb_;
  std::vector<std::uint64_t> keys_;
};

}  // namespace

std::unique_ptr<PeDatapath> make_model_datapath(const MeshContext& ctx) {
  return std::make_unique<ModelPeDatapath>(ctx);
}

}  // namespace sheafsim::mesh
