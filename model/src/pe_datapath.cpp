#include "sheafsim/mesh/pe_datapath.h"

#include "sheafsim/mesh/mesh_context.h"
#include "sheafsim/vertex_datapath.h"

namespace sheafsim::mesh {

namespace {

// |n| products of magnitude at most 2^(wx-1) 2^(wy-1), plus `extra`: the
// bound below which a 64-bit sum is exact (products of <= 64-bit operands
// then also fit). Two bits of margin.
bool int64_exact(int wx, int wy, long n, fx::wide extra = 0) {
  if (wx + wy - 2 >= 62) return false;
  return (fx::wide{1} << (wx + wy - 2)) * n + extra < (fx::wide{1} << 61);
}

// Exact sums; the only wrap is the Hebbian accumulator's (the forward and
// backward sums are wrapped where they are reduced). Each product loop runs
// in 64-bit integers when the formats bound its sum below 2^61, else in
// __int128.
class ModelPeDatapath final : public PeDatapath {
 public:
  explicit ModelPeDatapath(const MeshContext& ctx) : ctx_(ctx) {}

  void forward(const Tile& t, int B, const IMatrix& W, const IVector& b, const std::vector<std::int64_t>& a,
               std::vector<fx::wide>& psum) override {
    const int rows = t.r1 - t.r0, cols = t.c1 - t.c0;
    const FixedConfig& f = ctx_.fx;
    const int sb = f.weight.frac_bits + f.stalk.frac_bits - f.bias.frac_bits;
    psum.resize(static_cast<size_t>(rows) * static_cast<size_t>(B));
    if (int64_exact(f.weight.width(), f.stalk.width(), cols, fx::wide{1} << (f.bias.width() - 1 + sb))) {
      for (int s = 0; s < B; ++s) {
        const std::int64_t* as = a.data() + static_cast<size_t>(s) * static_cast<size_t>(cols);
        for (int i = 0; i < rows; ++i) {
          std::int64_t acc = t.has_bias() ? b(t.r0 + i) * (std::int64_t{1} << sb) : 0;
          for (int j = 0; j < cols; ++j) acc += W(t.r0 + i, t.c0 + j) * as[j];
          psum[static_cast<size_t>(s * rows + i)] = acc;
        }
      }
      return;
    }
    for (int s = 0; s < B; ++s)
      for (int i = 0; i < rows; ++i) {
        fx::wide acc = t.has_bias() ? fx::shl(b(t.r0 + i), sb) : fx::wide{0};
        for (int j = 0; j < cols; ++j) acc += fx::wide{W(t.r0 + i, t.c0 + j)} * a[static_cast<size_t>(s * cols + j)];
        psum[static_cast<size_t>(s * rows + i)] = acc;
      }
  }

  void backward(const Tile& t, int B, const IMatrix& W, const std::vector<std::int64_t>& u,
                std::vector<fx::wide>& bsum) override {
    const int rows = t.r1 - t.r0, cols = t.c1 - t.c0;
    bsum.resize(static_cast<size_t>(cols) * static_cast<size_t>(B));
    if (int64_exact(ctx_.fx.weight.width(), ctx_.fx.residual.width(), rows)) {
      for (int s = 0; s < B; ++s) {
        const std::int64_t* us = u.data() + static_cast<size_t>(s) * static_cast<size_t>(rows);
        for (int j = 0; j < cols; ++j) {
          std::int64_t sum = 0;
          for (int i = 0; i < rows; ++i) sum += W(t.r0 + i, t.c0 + j) * us[i];
          bsum[static_cast<size_t>(s * cols + j)] = sum;
        }
      }
      return;
    }
    for (int s = 0; s < B; ++s)
      for (int j = 0; j < cols; ++j) {
        fx::wide sum = 0;
        for (int i = 0; i < rows; ++i) sum += fx::wide{W(t.r0 + i, t.c0 + j)} * u[static_cast<size_t>(s * rows + i)];
        bsum[static_cast<size_t>(s * cols + j)] = sum;
      }
  }

  void hebbian_update(const Tile& t, int B, const std::vector<std::int64_t>& u, const std::vector<std::int64_t>& a,
                      const IMatrix& W, const IVector& b, TileWrites& out) override {
    const int rows = t.r1 - t.r0, cols = t.c1 - t.c0;
    const int layer = t.layer;
    const bool fast = int64_exact(ctx_.fx.residual.width(), ctx_.fx.stalk.width(), B) &&
                      int64_exact(ctx_.fx.residual.width(), 1, B);
    const auto n = static_cast<size_t>(rows) * static_cast<size_t>(cols);
    out.w.resize(n);
    out.w_acc_wrapped.resize(n);
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < cols; ++j) {
        fx::wide h = 0;
        if (fast) {
          std::int64_t h64 = 0;
          for (int s = 0; s < B; ++s) h64 += u[static_cast<size_t>(s * rows + i)] * a[static_cast<size_t>(s * cols + j)];
          h = h64;
        } else {
          for (int s = 0; s < B; ++s) h += fx::wide{u[static_cast<size_t>(s * rows + i)]} * a[static_cast<size_t>(s * cols + j)];
        }
        bool wrapped = false;
        h = vertex::acc_fit(h, ctx_.fx.acc_bits, &wrapped);
        const int gi = t.r0 + i, gj = t.c0 + j;
        const auto k = static_cast<size_t>(i * cols + j);
        out.w[k] = edge::update_weight(W(gi, gj), h, ctx_.eta_raw, ctx_.fx,
                                       ctx_.rnd(static_cast<std::uint64_t>(gj), FxClass::Weight, layer,
                                                static_cast<std::uint64_t>(gi)));
        out.w_acc_wrapped[k] = wrapped;
      }
    const size_t nb = t.has_bias() ? static_cast<size_t>(rows) : 0;
    out.b.resize(nb);
    out.b_acc_wrapped.resize(nb);
    for (size_t i = 0; i < nb; ++i) {
      fx::wide h = 0;
      for (int s = 0; s < B; ++s) h += u[static_cast<size_t>(s) * static_cast<size_t>(rows) + i];
      bool wrapped = false;
      h = vertex::acc_fit(h, ctx_.fx.acc_bits, &wrapped);
      const int gi = t.r0 + static_cast<int>(i);
      out.b[i] = edge::update_bias(b(gi), h, ctx_.eta_raw, ctx_.fx,
                                   ctx_.rnd(0, FxClass::Bias, layer, static_cast<std::uint64_t>(gi)));
      out.b_acc_wrapped[i] = wrapped;
    }
  }

 private:
  const MeshContext& ctx_;
};

}  // namespace

std::unique_ptr<PeDatapath> make_model_datapath(const MeshContext& ctx) {
  return std::make_unique<ModelPeDatapath>(ctx);
}

}  // namespace sheafsim::mesh
