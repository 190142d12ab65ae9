#include "sheafsim/bitacc/fixed_sgd.h"

#include <cmath>

#include "sheafsim/bitacc/output_force.h"
#include "sheafsim/bitacc/sgd_datapath.h"
#include "sheafsim/fixed/exact_product.h"
#include "sheafsim/fixed/vertex_datapath.h"

namespace sheafsim {

namespace {

double max_abs(const IMatrix& m) {
  double v = 0;
  for (Eigen::Index i = 0; i < m.size(); ++i) v = std::max(v, std::fabs(static_cast<double>(m.data()[i])));
  return v;
}

// out = A * B exactly (column-major, A.rows() x B.cols()). The sum's bound
// sum_j |A_ij| |B_jk| <= k max|A| max|B| picks the arithmetic: doubles below
// 2^52 (exact in any summation order), 64-bit integers below 2^62, else
// __int128. The values are the same either way; only the speed differs.
void exact_gemm(const IMatrix& A, const IMatrix& B, std::vector<fx::wide>& out) {
  const Eigen::Index m = A.rows(), k = A.cols(), n = B.cols();
  out.assign(static_cast<size_t>(m * n), 0);
  if (m == 0 || n == 0 || k == 0) return;
  const double bound = static_cast<double>(k) * max_abs(A) * max_abs(B);
  if (bound < 0x1p52) {
    Matrix C(m, n);
    const Matrix Ad = A.cast<double>(), Bd = B.cast<double>();
    xd::exact_product(C, Ad, Bd);
    for (Eigen::Index i = 0; i < C.size(); ++i) out[static_cast<size_t>(i)] = static_cast<std::int64_t>(C.data()[i]);
  } else if (bound < 0x1p62) {
    const IMatrix C = A * B;
    for (Eigen::Index i = 0; i < C.size(); ++i) out[static_cast<size_t>(i)] = C.data()[i];
  } else {
    for (Eigen::Index c = 0; c < n; ++c)
      for (Eigen::Index r = 0; r < m; ++r) {
        fx::wide s = 0;
        for (Eigen::Index j = 0; j < k; ++j) s += fx::wide{A(r, j)} * B(j, c);
        out[static_cast<size_t>(c * m + r)] = s;
      }
  }
}

}  // namespace

FixedSgd::FixedSgd(const FixedNetwork& net, Eigen::Index batch, const FixedConfig& cfg, const FixedCounters& loads)
    : cfg_(cfg), counters_(loads) {
  cfg_.validate();
  const int L = net.depth();
  if (counters_.saturations[0].size() != static_cast<size_t>(L)) counters_.resize(L);
  for (int l = 1; l <= L; ++l) {
    z_.emplace_back(net.layers[static_cast<size_t>(l)], batch);
    d_.emplace_back(net.layers[static_cast<size_t>(l)], batch);
    if (l < L) a_.emplace_back(net.layers[static_cast<size_t>(l)], batch);
  }
}

std::uint64_t FixedSgd::rnd(std::uint64_t sample, FxClass cls, int layer, std::uint64_t row) const {
  if (cfg_.quant != fx::Quant::Stoch) return 0;
  return fx::stoch_bits(cfg_.seed, step_, sample, edge::site(cls, layer, row));
}

void FixedSgd::step(FixedNetwork& net, const IMatrix& X, const IMatrix& Y, std::int64_t eta_raw) {
  eta_raw_ = eta_raw;
  forward(net, X);
  output_error(net, Y);
  backward(net);
  update(net, X, eta_raw);
  ++step_;
}

// z_l = round((b << sb) + W_l a_{l-1}) for l = 1..L; a_l = max(z_l, 0).
void FixedSgd::forward(const FixedNetwork& net, const IMatrix& X) {
  const int L = net.depth();
  const int sb = cfg_.weight.frac_bits + cfg_.stalk.frac_bits - cfg_.bias.frac_bits;
  for (int l = 1; l <= L; ++l) {
    const size_t li = static_cast<size_t>(l - 1);
    exact_gemm(net.W[li], input_of(l, X), sums_);
    IMatrix& z = z_[li];
    const IVector& b = net.b[li];
    for (Eigen::Index s = 0; s < z.cols(); ++s)
      for (Eigen::Index i = 0; i < z.rows(); ++i) {
        bool wrapped = false;
        const fx::wide acc = vertex::acc_fit(sums_[static_cast<size_t>(s * z.rows() + i)] + fx::shl(b(i), sb),
                                             cfg_.acc_bits, &wrapped);
        if (wrapped) counters_.saturated(FxClass::Accumulator, l);
        const edge::Write w = sgd::forward_z(acc, cfg_, rnd(static_cast<std::uint64_t>(s), FxClass::Z, l,
                                                            static_cast<std::uint64_t>(i)));
        if (w.saturated) counters_.saturated(FxClass::Z, l);
        z(i, s) = w.value;
      }
    if (l < L) a_[li] = z.unaryExpr([](std::int64_t v) { return sgd::relu(v); });
  }
}

// d_L: z_L - y (identity) or the lookup's round(phi(z_L) - y) (sigmoid, softmax).
void FixedSgd::output_error(const FixedNetwork& net, const IMatrix& Y) {
  const int L = net.depth();
  const IMatrix& z = z_.back();
  IMatrix& d = d_.back();
  if (net.output != OutputKind::Identity) {
    const OutputForceResult r =
        output_lookup_force(net.output, OutputMode::Exact, z, &Y, nullptr, 0, cfg_, step_, L, d.data());
    counters_.add(FxClass::Output, L, r.saturated, r.lost);
    return;
  }
  for (Eigen::Index s = 0; s < z.cols(); ++s)
    for (Eigen::Index i = 0; i < z.rows(); ++i) {
      const edge::Write w = sgd::output_error(
          z(i, s), Y(i, s), cfg_, rnd(static_cast<std::uint64_t>(s), FxClass::Residual, L, static_cast<std::uint64_t>(i)));
      if (w.saturated) counters_.saturated(FxClass::Residual, L);
      d(i, s) = w.value;
    }
}

// d_l = 1[z_l > 0] round(W_{l+1}^T d_{l+1}) for l = L-1..1 (the old weights).
void FixedSgd::backward(const FixedNetwork& net) {
  for (int l = net.depth() - 1; l >= 1; --l) {
    const size_t li = static_cast<size_t>(l - 1);
    const IMatrix Wt = net.W[li + 1].transpose();
    exact_gemm(Wt, d_[li + 1], sums_);
    const IMatrix& z = z_[li];
    IMatrix& d = d_[li];
    for (Eigen::Index s = 0; s < z.cols(); ++s)
      for (Eigen::Index j = 0; j < z.rows(); ++j) {
        bool wrapped = false;
        const fx::wide p = vertex::acc_fit(sums_[static_cast<size_t>(s * z.rows() + j)], cfg_.acc_bits, &wrapped);
        if (wrapped) counters_.saturated(FxClass::Accumulator, l);
        const edge::Write w = sgd::hidden_error(
            z(j, s), p, cfg_, rnd(static_cast<std::uint64_t>(s), FxClass::Residual, l, static_cast<std::uint64_t>(j)));
        if (w.saturated) counters_.saturated(FxClass::Residual, l);
        d(j, s) = w.value;
      }
  }
}

// G = d_l a_{l-1}^T and g = sum_s d_l (wrapped), then W' and b' by the edge unit's writes with eta_raw.
void FixedSgd::update(FixedNetwork& net, const IMatrix& X, std::int64_t eta_raw) {
  for (int l = 1; l <= net.depth(); ++l) {
    const size_t li = static_cast<size_t>(l - 1);
    const IMatrix& d = d_[li];
    const IMatrix At = input_of(l, X).transpose();
    exact_gemm(d, At, sums_);
    IMatrix& W = net.W[li];
    IVector& b = net.b[li];
    for (Eigen::Index j = 0; j < W.cols(); ++j)
      for (Eigen::Index i = 0; i < W.rows(); ++i) {
        bool wrapped = false;
        const fx::wide h = vertex::acc_fit(sums_[static_cast<size_t>(j * W.rows() + i)], cfg_.acc_bits, &wrapped);
        if (wrapped) counters_.saturated(FxClass::Accumulator, l);
        const edge::Write w = edge::update_weight(
            W(i, j), h, eta_raw, cfg_, rnd(static_cast<std::uint64_t>(j), FxClass::Weight, l, static_cast<std::uint64_t>(i)));
        counters_.add(FxClass::Weight, l, w.saturated ? 1 : 0, w.lost ? 1 : 0);
        W(i, j) = w.value;
      }
    for (Eigen::Index i = 0; i < b.size(); ++i) {
      fx::wide hs = 0;
      for (Eigen::Index s = 0; s < d.cols(); ++s) hs += d(i, s);
      bool wrapped = false;
      hs = vertex::acc_fit(hs, cfg_.acc_bits, &wrapped);
      if (wrapped) counters_.saturated(FxClass::Accumulator, l);
      const edge::Write w = edge::update_bias(b(i), hs, eta_raw, cfg_, rnd(0, FxClass::Bias, l, static_cast<std::uint64_t>(i)));
      counters_.add(FxClass::Bias, l, w.saturated ? 1 : 0, w.lost ? 1 : 0);
      b(i) = w.value;
    }
  }
}

FixedRunInfo FixedSgd::run_info() const {
  FixedRunInfo info;
  info.config = cfg_;
  info.counters = counters_;
  info.eta_raw = eta_raw_;
  info.eta_used = static_cast<double>(eta_raw_) * cfg_.constant.lsb();
  return info;
}

std::unique_ptr<FixedSgdStepper> make_sgd_stepper(const FixedSgdStepperFactory& factory, const FixedNetwork& net,
                                                  Eigen::Index batch, const FixedConfig& cfg,
                                                  const FixedCounters& loads) {
  if (factory) return factory(net, batch, cfg, loads);
  return std::make_unique<FixedSgd>(net, batch, cfg, loads);
}

}  // namespace sheafsim
