#pragma once
// A ReLU multilayer perceptron [n0, n1, ..., nL] with an identity, sigmoid or
// softmax output: the parameters every engine (float reference, bit-accurate
// model, mesh model) works on.
//
// Index convention: the spec numbers layers l = 1..L; here W[k] and b[k] hold
// W_{k+1} and b_{k+1} for k = 0..L-1, so W[k] is n_{k+1} x n_k.
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>

namespace sheafsim {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

enum class OutputKind { Identity, Sigmoid, Softmax };

OutputKind parse_output_kind(const std::string& name);  // throws InputError
std::string to_string(OutputKind kind);
inline bool is_classification(OutputKind kind) { return kind != OutputKind::Identity; }

struct Network {
  std::vector<int> layers;  // n0 .. nL
  OutputKind output = OutputKind::Identity;
  std::vector<Matrix> W;    // W[k] = W_{k+1}, n_{k+1} x n_k
  std::vector<Vector> b;    // b[k] = b_{k+1}, n_{k+1}

  int depth() const { return static_cast<int>(layers.size()) - 1; }  // L
  int inputs() const { return layers.front(); }
  int outputs() const { return layers.back(); }
  // P: weights without biases.
  std::int64_t num_weights() const;
  // N_free: free stalk coordinates per sample (2 * sum of hidden widths + n_L).
  std::int64_t num_free_stalks() const;

  // He initialisation W ~ N(0, 2/n_{l-1}), zero biases.
  static Network he_init(const std::vector<int>& layers, OutputKind output, std::uint64_t seed);

  // Throws InputError if shapes disagree with `layers` or any value is not finite.
  void validate() const;
};

// Parses "2,30,1" into widths; throws InputError naming the problem.
std::vector<int> parse_layers(const std::string& text);

// The ordinary forward pass on a batch (one column per sample).
struct ForwardPass {
  std::vector<Matrix> z;  // z[k] = z_{k+1}, k = 0..L-1
  std::vector<Matrix> a;  // a[k] = a_{k+1} = ReLU(z_{k+1}), k = 0..L-2
  Matrix output;          // phi(z_L)
};
ForwardPass forward(const Network& net, const Matrix& X);
Matrix predict(const Network& net, const Matrix& X);

}  // namespace sheafsim
