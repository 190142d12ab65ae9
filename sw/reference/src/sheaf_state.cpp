#include "sheafsim/reference/sheaf_state.h"

#include <fmt/format.h>

#include "sheafsim/base/error.h"

namespace sheafsim {

StalkInit parse_stalk_init(const std::string& name) {
  if (name == "zeros") return StalkInit::Zeros;
  if (name == "forward") return StalkInit::Forward;
  if (name == "random") return StalkInit::Random;
  throw InputError(fmt::format("unknown stalk init '{}' (expected zeros, forward or random)", name));
}

std::string to_string(StalkInit init) {
  switch (init) {
    case StalkInit::Zeros: return "zeros";
    case StalkInit::Forward: return "forward";
    case StalkInit::Random: return "random";
  }
  return "zeros";
}

void set_to_forward(const Network& net, const Matrix& X, SheafState& state) {
  ForwardPass fp = forward(net, X);
  state.z = std::move(fp.z);
  state.a = std::move(fp.a);
  if (state.has_output_vertex()) state.a_out = fp.output;
}

SheafState make_state(const Network& net, const Matrix& X, StalkInit init, Rng& rng, bool with_output_vertex) {
  const int L = net.depth();
  const Eigen::Index B = X.cols();
  SheafState st;
  for (int k = 0; k < L; ++k) st.z.push_back(Matrix::Zero(net.layers[k + 1], B));
  for (int k = 0; k + 1 < L; ++k) st.a.push_back(Matrix::Zero(net.layers[k + 1], B));
  if (with_output_vertex) st.a_out = Matrix::Zero(net.outputs(), B);
  if (init == StalkInit::Forward) {
    set_to_forward(net, X, st);
  } else if (init == StalkInit::Random) {
    auto fill = [&rng](Matrix& m) {
      for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = rng.normal();
    };
    for (int k = 0; k < L; ++k) {
      fill(st.z[static_cast<size_t>(k)]);
      if (k + 1 < L) fill(st.a[static_cast<size_t>(k)]);
    }
    if (with_output_vertex) fill(st.a_out);
  }
  return st;
}

}  // namespace sheafsim
