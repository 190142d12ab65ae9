#include "sheafsim/reference/network.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

#include "sheafsim/reference/activation.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/rng.h"

namespace sheafsim {

// Widths beyond this are almost certainly a typo; they would also make the
// dense spectral analysis allocate gigabytes.
constexpr int kMaxWidth = 1 << 16;

OutputKind parse_output_kind(const std::string& name) {
  if (name == "identity") return OutputKind::Identity;
  if (name == "sigmoid") return OutputKind::Sigmoid;
  if (name == "softmax") return OutputKind::Softmax;
  throw InputError(fmt::format("unknown output '{}' (expected identity, sigmoid or softmax)", name));
}

std::string to_string(OutputKind kind) {
  switch (kind) {
    case OutputKind::Identity: return "identity";
    case OutputKind::Sigmoid: return "sigmoid";
    case OutputKind::Softmax: return "softmax";
  }
  return "identity";
}

std::int64_t Network::num_weights() const {
  std::int64_t p = 0;
  for (size_t l = 1; l < layers.size(); ++l) p += std::int64_t{layers[l]} * layers[l - 1];
  return p;
}

std::int64_t Network::num_free_stalks() const {
  std::int64_t n = layers.back();
  for (size_t l = 1; l + 1 < layers.size(); ++l) n += 2 * std::int64_t{layers[l]};
  return n;
}

static void check_layers(const std::vector<int>& layers) {
  if (layers.size() < 2)
    throw InputError(fmt::format("network needs at least 2 layer widths, got {}", layers.size()));
  for (size_t l = 0; l < layers.size(); ++l)
    if (layers[l] < 1 || layers[l] > kMaxWidth)
      throw InputError(fmt::format("layer width n{} = {} is outside 1..{}", l, layers[l], kMaxWidth));
}

std::vector<int> parse_layers(const std::string& text) {
  std::vector<int> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = text.find(',', pos);
    const std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || errno != 0 || v < 1 || v > kMaxWidth)
      throw InputError(fmt::format("bad layer width '{}' in --layers '{}' (expected positive integers like 2,30,1)", item, text));
    out.push_back(static_cast<int>(v));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  check_layers(out);
  return out;
}

Network Network::he_init(const std::vector<int>& layers, OutputKind output, std::uint64_t seed) {
  check_layers(layers);
  Network net;
  net.layers = layers;
  net.output = output;
  Rng rng(seed);
  for (size_t l = 1; l < layers.size(); ++l) {
    const double std = std::sqrt(2.0 / layers[l - 1]);
    Matrix W(layers[l], layers[l - 1]);
    // Row-major fill, so the file's row order matches the draw order.
    for (int i = 0; i < W.rows(); ++i)
      for (int j = 0; j < W.cols(); ++j) W(i, j) = rng.normal(0.0, std);
    net.W.push_back(std::move(W));
    net.b.push_back(Vector::Zero(layers[l]));
  }
  return net;
}

void Network::validate() const {
  check_layers(layers);
  const size_t L = layers.size() - 1;
  if (W.size() != L || b.size() != L)
    throw InputError(fmt::format("network has {} weight and {} bias entries, layers imply {}", W.size(), b.size(), L));
  for (size_t k = 0; k < L; ++k) {
    if (W[k].rows() != layers[k + 1] || W[k].cols() != layers[k])
      throw InputError(fmt::format("W_{} is {}x{}, layers imply {}x{}", k + 1, W[k].rows(), W[k].cols(),
                                   layers[k + 1], layers[k]));
    if (b[k].size() != layers[k + 1])
      throw InputError(fmt::format("b_{} has {} entries, layers imply {}", k + 1, b[k].size(), layers[k + 1]));
    if (!W[k].allFinite()) throw InputError(fmt::format("W_{} contains NaN or Inf", k + 1));
    if (!b[k].allFinite()) throw InputError(fmt::format("b_{} contains NaN or Inf", k + 1));
  }
  if (output == OutputKind::Softmax && layers.back() < 2)
    throw InputError("softmax output needs at least 2 output units");
}

ForwardPass forward(const Network& net, const Matrix& X) {
  ForwardPass fp;
  fp.a.reserve(net.W.size());  // `prev` points into fp.a
  const int L = net.depth();
  const Matrix* prev = &X;
  for (int k = 0; k < L; ++k) {
    Matrix z = net.W[k] * *prev;
    z.colwise() += net.b[k];
    fp.z.push_back(std::move(z));
    if (k + 1 < L) {
      fp.a.push_back(fp.z.back().cwiseMax(0.0));
      prev = &fp.a.back();
    }
  }
  fp.output = apply_output(net.output, fp.z.back());
  return fp;
}

Matrix predict(const Network& net, const Matrix& X) { return forward(net, X).output; }

}  // namespace sheafsim
