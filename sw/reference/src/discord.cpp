#include "sheafsim/reference/discord.h"

#include "sheafsim/reference/activation.h"

namespace sheafsim {

DiscordReport discord(const Network& net, const SheafState& st, const Matrix& X, const Matrix* Y, Phase phase) {
  const int L = net.depth();
  const double B = static_cast<double>(X.cols());
  std::vector<Matrix> U;
  compute_residuals(net, st, X, U);
  DiscordReport r;
  r.by_layer.assign(static_cast<size_t>(L), 0.0);
  auto add = [&r](std::string edge, std::string type, int layer, double v) {
    r.edges.push_back({std::move(edge), type, layer, v});
    r.by_layer[static_cast<size_t>(layer - 1)] += v;
    (type == "weight" ? r.weight : type == "activation" ? r.activation : r.output) += v;
    r.total += v;
  };
  for (int l = 1; l <= L; ++l) {
    add("W" + std::to_string(l), "weight", l, U[static_cast<size_t>(l - 1)].squaredNorm() / B);
    if (l < L) {
      const size_t k = static_cast<size_t>(l - 1);
      add("R" + std::to_string(l), "activation", l, (st.a[k] - st.z[k].cwiseMax(0.0)).squaredNorm() / B);
    }
  }
  const Matrix& zL = st.z.back();
  if (phase == Phase::Training && Y != nullptr) {
    const double v = net.output == OutputKind::Identity ? (zL - *Y).squaredNorm() / B
                                                        : cross_entropy_sum(net.output, zL, *Y) / B;
    add("out", "output", L, v);
  } else if (phase == Phase::Inference && st.has_output_vertex()) {
    add("out", "output", L, (apply_output(net.output, zL) - st.a_out).squaredNorm() / B);
  }
  return r;
}

}  // namespace sheafsim
