#include "sheafsim/mesh/pe_datapath.h"

#include <algorithm>
#include <cmath>

#include "sheafsim/fixed/datapath_int.h"
#include "sheafsim/fixed/exact_bounds.h"
#include "sheafsim/fixed/exact_kernels.h"
#include "sheafsim/fixed/exact_product.h"
#include "sheafsim/fixed/fixed_modes.h"
#include "sheafsim/mesh/mesh_context.h"
#include "sheafsim/mesh/pe_kernels.h"

namespace sheafsim::mesh {

namespace {

using namespace bounds;
using pek::kMaxVectors;
using pek::vectors;
using xd::kLanes;
using Stride = Eigen::OuterStride<>;
using DMap = Eigen::Map<Eigen::MatrixXd, 0, Stride>;
using CDMap = Eigen::Map<const Eigen::MatrixXd, 0, Stride>;

// A tile's weights: magnitudes for the bounds.
struct TileStats {
  uwide wmax = 0, row_sum = 0, col_sum = 0;  // max |W|, max_i sum_j |W_ij|, max_j sum_i |W_ij|
};

// out[s * n + o] = init(o) + sum_k w(o, k) x[s * inner + k] in T (exact).
template <typename T, typename WF, typename IF>
void int_sums(int n, int inner, int B, const std::int64_t* x, WF&& w, IF&& init, T* out) {
  for (int s = 0; s < B; ++s) {
    const std::int64_t* xs = x + static_cast<size_t>(s) * static_cast<size_t>(inner);
    for (int o = 0; o < n; ++o) {
      T acc = static_cast<T>(init(o));
      for (int k = 0; k < inner; ++k) acc += T{w(o, k)} * xs[k];
      out[static_cast<size_t>(s * n + o)] = acc;
    }
  }
}

// The exact partial sums of n outputs in 64-bit integers when out.bound
// proves they fit, else in __int128 (int_sums).
template <typename WF, typename IF>
void int_partial_sums(PartialSums& out, int n, int inner, int B, const std::vector<std::int64_t>& x, WF&& w,
                      IF&& init) {
  const size_t len = static_cast<size_t>(n) * static_cast<size_t>(B);
  if (out.bound < kInt64)
    int_sums<std::int64_t>(n, inner, B, x.data(), w, init, out.use_narrow(len));
  else
    int_sums<fx::wide>(n, inner, B, x.data(), w, init, out.use_wide(len));
}

// Exact sums; the only wrap is the Hebbian accumulator's (the forward and
// backward sums are wrapped where they are reduced). Each product is computed
// in doubles when its operands come as doubles (the vertex units send them
// when exact) and this step's magnitudes bound every sum by 2^53 (the sums
// then go out as doubles), else in 64-bit integers when they bound it below
// 2^63, else in __int128. The bounds: forward max_i sum_j |W_ij| max|a| +
// max|b| 2^sb, backward max_j sum_i |W_ij| max|u|, Hebbian B max|u| max|a|.
// The weight and bias writes run in 64 bits when every intermediate fits
// (dpint::update_weight / update_bias), else in __int128 (edge_datapath.h).
class ModelPeDatapath final : public PeDatapath {
 public:
  explicit ModelPeDatapath(const MeshContext& ctx) : ctx_(ctx) {}

  void forward(const Tile& t, int B, const IMatrix& W, const IVector& b, TileOperand& a, PartialSums& out) override {
    const int rows = t.r1 - t.r0, cols = t.c1 - t.c0;
    const FixedConfig& f = ctx_.fx;
    const int sb = f.weight.frac_bits + f.stalk.frac_bits - f.bias.frac_bits;
    const TileStats ws = tile_stats(t, W);
    const uwide bmax = t.has_bias() ? block_max_abs(b, t.r0, rows, 0, 1) : 0;
    out.bound = add(mul(ws.row_sum, a.bound()), shl(bmax, sb));
    const TileOperand::Doubles ad = out.bound <= kDouble && ws.wmax <= kDouble ? a.dbl() : TileOperand::Doubles{};
    if (ad.p != nullptr) {
      const size_t ldw = xd::padded(rows);
      load_tile(t, W, false);
      init_.assign(ldw, 0.0);
      if (t.has_bias())
        for (int i = 0; i < rows; ++i) init_[static_cast<size_t>(i)] = std::ldexp(static_cast<double>(b(t.r0 + i)), sb);
      if (rows == 1 && vectors(cols) <= kMaxVectors) {  // one row: a dot product per sample
        wrow_.assign(xd::padded(cols), 0.0);
        for (int j = 0; j < cols; ++j) wrow_[static_cast<size_t>(j)] = static_cast<double>(W(t.r0, t.c0 + j));
        pek::row_product(vectors(cols), wrow_.data(), init_[0], ad.p, ad.ld, B, out.use_double(ldw, B));  // ldw = kLanes
      } else {
        dbl_sums(rows, cols, init_.data(), ad, B, false, out);
      }
      return;
    }
    int_partial_sums(
        out, rows, cols, B, a.raw(), [&](int i, int j) { return W(t.r0 + i, t.c0 + j); },
        [&](int i) { return t.has_bias() ? fx::shl(b(t.r0 + i), sb) : fx::wide{0}; });
  }

  void backward(const Tile& t, int B, const IMatrix& W, TileOperand& u, PartialSums& out) override {
    const int rows = t.r1 - t.r0, cols = t.c1 - t.c0;
    const TileStats ws = tile_stats(t, W);
    out.bound = mul(ws.col_sum, u.bound());
    const TileOperand::Doubles ud = out.bound <= kDouble && ws.wmax <= kDouble ? u.dbl() : TileOperand::Doubles{};
    if (ud.p != nullptr) {
      load_tile(t, W, true);  // W^T, cols x rows
      // The measured max |W^T u| tightens the bound the vertex unit sums (worth it above a few rows).
      const double mx = dbl_sums(cols, rows, nullptr, ud, B, rows > 4, out);
      if (mx >= 0) out.bound = std::min(out.bound, static_cast<uwide>(mx));
      return;
    }
    int_partial_sums(
        out, cols, rows, B, u.raw(), [&](int j, int i) { return W(t.r0 + i, t.c0 + j); },
        [](int) { return fx::wide{0}; });
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
    const uwide hbound = mul(mul(static_cast<uwide>(B), umax), amax);
    const uwide hbbound = mul(static_cast<uwide>(B), umax);
    const bool h64 = hbound < kInt64;
    const bool hb64 = hbbound < kInt64;
    // The weight and bias writes in 64 bits when (shifted old value) + eta * (wrapped sum) fits.
    const dpint::Shifts sh(f);
    const uwide eta = mag(ctx_.eta_raw);
    const uwide wmax = block_max_abs(W, t.r0, rows, t.c0, cols);
    const uwide bmax = t.has_bias() ? block_max_abs(b, t.r0, rows, 0, 1) : 0;
    const bool w64 = h64 && dpint::update_fits64(sh.dw, f.acc_bits, wmax, hbound, eta);
    const bool b64 = hb64 && dpint::update_fits64(sh.db, f.acc_bits, bmax, hbbound, eta);

    // H, row-major [i * cols + j] (the order of the writes), and h.
    const bool dbl = hbound <= kDouble && hbbound <= kDouble;
    const TileOperand::Doubles ud = dbl ? u.dbl() : TileOperand::Doubles{};
    const TileOperand::Doubles ad = ud.p != nullptr ? a.dbl() : TileOperand::Doubles{};
    hb_.resize(nb);
    if (ad.p != nullptr && rows < kLanes && cols > rows && vectors(cols) <= kMaxVectors) {
      // A tile thinner than a vector: H^T = A U^T, vectorised over the columns.
      const size_t ldc = xd::padded(cols);
      hd_.resize(ldc * static_cast<size_t>(rows) + ldc);
      pek::hebbian_product(vectors(cols), ad.p, ad.ld, ud.p, ud.ld, rows, B, hd_.data(), ldc, nullptr);
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
      const size_t ldh = xd::padded(rows);
      hd_.resize(ldh * static_cast<size_t>(cols) + ldh);
      double* hbd = hd_.data() + ldh * static_cast<size_t>(cols);  // the bias sums after H
      if (R <= kMaxVectors) {
        pek::hebbian_product(R, ud.p, ud.ld, ad.p, ad.ld, cols, B, hd_.data(), ldh, nb > 0 ? hbd : nullptr);
      } else {
        DMap H(hd_.data(), rows, cols, Stride(static_cast<Eigen::Index>(ldh)));
        const CDMap U(ud.p, rows, B, Stride(static_cast<Eigen::Index>(ud.ld)));
        xd::exact_product(H, U, CDMap(ad.p, cols, B, Stride(static_cast<Eigen::Index>(ad.ld))).transpose());
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

    // The writes: dpint::update_weight / update_bias in 64 bits where they fit,
    // else the reference functions (edge_datapath.h) in __int128.
    fx::with_modes(f.quant, f.overflow, [&](auto q, auto o) {
      constexpr fx::Quant Q = decltype(q)::value;
      constexpr fx::Overflow O = decltype(o)::value;
      const std::int64_t eta_raw = ctx_.eta_raw;
      // Stochastic bits of weight (gi, gj): stoch_bits(seed, step, gj, site(Weight, layer, gi)).
      if constexpr (Q == fx::Quant::Stoch) {
        keys_.resize(static_cast<size_t>(cols));
        const std::uint64_t k1 = fx::stoch_step_key(f.seed, ctx_.step);
        for (int j = 0; j < cols; ++j)
          keys_[static_cast<size_t>(j)] = fx::stoch_sample_key(k1, static_cast<std::uint64_t>(t.c0 + j));
      }
      fx::with_bool(w64, [&](auto narrow) {
        for (int i = 0; i < rows; ++i) {
          const int gi = t.r0 + i;
          const std::uint64_t site = edge::site(FxClass::Weight, t.layer, static_cast<std::uint64_t>(gi));
          for (int j = 0; j < cols; ++j) {
            const auto k = static_cast<size_t>(i * cols + j);
            const std::uint64_t rnd =
                Q == fx::Quant::Stoch ? fx::stoch_site_bits(keys_[static_cast<size_t>(j)], site) : 0;
            const std::int64_t w = W(gi, t.c0 + j);
            bool wrapped = false;
            if constexpr (decltype(narrow)::value) {
              const std::int64_t h = dpint::acc_wrap(h64_[k], f.acc_bits, &wrapped);
              out.w[k] = dpint::update_weight<std::int64_t, Q, O>(w, h, eta_raw, sh, rnd);
            } else {
              const fx::wide h = dpint::acc_wrap(h64 ? fx::wide{h64_[k]} : hw_[k], f.acc_bits, &wrapped);
              out.w[k] = edge::update_weight(w, h, eta_raw, f, rnd);
            }
            out.w_acc_wrapped[k] = wrapped;
          }
        }
      });
      for (size_t i = 0; i < nb; ++i) {
        bool wrapped = false;
        const int gi = t.r0 + static_cast<int>(i);
        const std::uint64_t rnd = ctx_.rnd(0, FxClass::Bias, t.layer, static_cast<std::uint64_t>(gi));
        if (b64) {
          const std::int64_t h = dpint::acc_wrap(static_cast<std::int64_t>(hb_[i]), f.acc_bits, &wrapped);
          out.b[i] = dpint::update_bias<std::int64_t, Q, O>(b(gi), h, eta_raw, sh, rnd);
        } else {
          const fx::wide h = dpint::acc_wrap(hb_[i], f.acc_bits, &wrapped);
          out.b[i] = edge::update_bias(b(gi), h, eta_raw, f, rnd);
        }
        out.b_acc_wrapped[i] = wrapped;
      }
    });
  }

 private:
  // out = init + M x as doubles [s * ld + i] (ld = padded(n)), M the n x inner
  // block in w_ (load_tile), init n values or null (0): by the register-blocked
  // kernels, or Eigen's GEMM for more than kMaxVectors vectors of rows.
  // want_max: returns the measured max |out| (the kernels only), else -1.
  double dbl_sums(int n, int inner, const double* init, TileOperand::Doubles x, int B, bool want_max,
                  PartialSums& out) {
    const size_t ld = xd::padded(n);
    const int R = vectors(n);
    if (R <= kMaxVectors) {
      if (init == nullptr) {
        init_.assign(ld, 0.0);
        init = init_.data();
      }
      double* P = out.use_double(ld, B);
      const double mx = pek::tile_product(want_max, R, w_.data(), ld, init, x.p, x.ld, inner, B, P, ld);
      return want_max ? mx : -1;
    }
    double* p = out.use_double(ld, B);
    std::fill(out.dbl.begin(), out.dbl.end(), 0.0);  // the padding lanes
    DMap P(p, n, B, Stride(static_cast<Eigen::Index>(ld)));
    xd::exact_product(P, CDMap(w_.data(), n, inner, Stride(static_cast<Eigen::Index>(ld))),
                      CDMap(x.p, inner, B, Stride(static_cast<Eigen::Index>(x.ld))));
    if (init != nullptr)
      for (int s = 0; s < B; ++s)
        for (int i = 0; i < n; ++i) P(i, s) += init[i];
    return -1;
  }

  // w_ = the tile's weights as doubles, column-major rows x cols (or, transposed,
  // cols x rows), the leading dimension padded() with zero padding (exact:
  // callers check |W| <= 2^53).
  void load_tile(const Tile& t, const IMatrix& W, bool transposed) {
    const int rows = t.r1 - t.r0, cols = t.c1 - t.c0;
    const size_t ld = xd::padded(transposed ? cols : rows);
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
