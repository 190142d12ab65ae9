#include "sheafsim/cost/op_counts.h"

#include <cmath>

#include <algorithm>
#include <array>
#include <map>

#include <fmt/format.h>

#include "sheafsim/base/error.h"

namespace sheafsim::ops {

const char* to_string(Op op) {
  switch (op) {
    case Op::Mac: return "mac";
    case Op::UpdateMultiply: return "update_multiply";
    case Op::ConstantMultiply: return "constant_multiply";
    case Op::Add: return "add";
    case Op::Compare: return "compare";
    case Op::RegisterWrite: return "register_write";
  }
  return "?";
}

const char* to_string(MacRole r) {
  switch (r) {
    case MacRole::None: return "none";
    case MacRole::Forward: return "forward";
    case MacRole::Backward: return "backward";
    case MacRole::Gradient: return "gradient";
  }
  return "?";
}

void OpCounts::add(const OpItem& item) {
  if (item.count == 0) return;
  for (OpItem& it : items_)
    if (it.op == item.op && it.layer == item.layer && it.role == item.role && it.bits == item.bits &&
        it.bits_b == item.bits_b && it.acc_bits == item.acc_bits && it.what == item.what) {
      it.count += item.count;
      return;
    }
  items_.push_back(item);
}

OpCounts& OpCounts::operator+=(const OpCounts& other) {
  for (const OpItem& it : other.items_) add(it);
  return *this;
}

OpCounts OpCounts::scaled(std::uint64_t factor) const {
  OpCounts out;
  for (OpItem it : items_) {
    it.count *= factor;
    out.add(it);
  }
  return out;
}

OpCounts OpCounts::layer(int l) const {
  OpCounts out;
  for (const OpItem& it : items_)
    if (it.layer == l) out.add(it);
  return out;
}

std::uint64_t OpCounts::total(Op op) const {
  std::uint64_t n = 0;
  for (const OpItem& it : items_)
    if (it.op == op) n += it.count;
  return n;
}

std::uint64_t OpCounts::macs(MacRole role) const {
  std::uint64_t n = 0;
  for (const OpItem& it : items_)
    if (it.op == Op::Mac && it.role == role) n += it.count;
  return n;
}

std::uint64_t OpCounts::register_write_bits() const {
  std::uint64_t n = 0;
  for (const OpItem& it : items_)
    if (it.op == Op::RegisterWrite) n += it.count * static_cast<std::uint64_t>(it.bits);
  return n;
}

nlohmann::json OpCounts::to_json() const {
  std::map<std::string, std::uint64_t> mac_bits, add_bits;
  for (const OpItem& it : items_) {
    if (it.op == Op::Mac) mac_bits[fmt::format("{}x{}", it.bits, it.bits_b)] += it.count;
    if (it.op == Op::Add) add_bits[std::to_string(it.bits)] += it.count;
  }
  return {{"synapse_macs", synapse_macs()},
          {"macs_forward", macs(MacRole::Forward)},
          {"macs_backward", macs(MacRole::Backward)},
          {"macs_gradient", macs(MacRole::Gradient)},
          {"macs_by_operand_bits", mac_bits},
          {"update_multiplies", total(Op::UpdateMultiply)},
          {"constant_multiplies", total(Op::ConstantMultiply)},
          {"adds", total(Op::Add)},
          {"adds_by_bits", add_bits},
          {"compares", total(Op::Compare)},
          {"register_writes", total(Op::RegisterWrite)},
          {"register_write_bits", register_write_bits()}};
}

OpWidths OpWidths::of(const FixedConfig& cfg) {
  OpWidths w;
  w.stalk = cfg.stalk.width();
  w.weight = cfg.weight.width();
  w.bias = cfg.bias.width();
  w.residual = cfg.residual.width();
  w.constant = cfg.constant.width();
  w.acc = cfg.acc_bits;
  return w;
}

nlohmann::json OpWidths::to_json() const {
  return {{"stalk_bits", stalk},       {"weight_bits", weight},   {"bias_bits", bias},
          {"residual_bits", residual}, {"constant_bits", constant}, {"acc_bits", acc}};
}

namespace {

void check_layers(const std::vector<int>& layers) {
  if (layers.size() < 2) throw InputError("operation counts need at least two layer widths");
  for (int n : layers)
    if (n < 1) throw InputError(fmt::format("bad layer width {} (must be >= 1)", n));
}

std::uint64_t u(long long v) { return static_cast<std::uint64_t>(v); }

// Adds items for weight edge `layer`.
struct Adder {
  OpCounts& c;
  int layer;
  void mac(MacRole role, int a, int b, int acc, std::uint64_t n, const char* what) const {
    c.add({Op::Mac, layer, role, a, b, acc, what, n});
  }
  void op(Op op, int bits, std::uint64_t n, const char* what, int at_layer = -1) const {
    c.add({op, at_layer < 0 ? layer : at_layer, MacRole::None, bits, 0, 0, what, n});
  }
  // The once-per-step update of the n x m weights and n biases: scale the
  // accumulated gradients, add them, write the registers. `what` names the
  // scalings (W, b) and the additions (W, b).
  void update(const OpWidths& w, std::uint64_t n, std::uint64_t m, const std::array<const char*, 4>& what) const {
    op(Op::UpdateMultiply, std::max(w.constant, w.acc), n * m, what[0]);
    op(Op::UpdateMultiply, std::max(w.constant, w.acc), n, what[1]);
    op(Op::Add, w.constant + w.acc, n * m, what[2]);
    op(Op::Add, w.constant + w.acc, n, what[3]);
    op(Op::RegisterWrite, w.weight, n * m, "W write");
    op(Op::RegisterWrite, w.bias, n, "b write");
  }
};

}  // namespace

std::uint64_t num_weights(const std::vector<int>& layers) {
  std::uint64_t p = 0;
  for (size_t l = 1; l < layers.size(); ++l) p += u(layers[l]) * u(layers[l - 1]);
  return p;
}

std::uint64_t synapse_macs_per_sample(const std::vector<int>& layers, bool gradient) {
  check_layers(layers);
  const std::uint64_t P = num_weights(layers), first = u(layers[0]) * u(layers[1]);
  return (gradient ? 3 : 2) * P - first;
}

OpCounts sheaf_step(const std::vector<int>& layers, std::uint64_t batch, const OpWidths& w, SheafStep kind) {
  check_layers(layers);
  OpCounts c;
  const int L = static_cast<int>(layers.size()) - 1;
  const int g_bits = std::max(w.stalk, w.residual);  // g_z = u - m q: residual and stalk terms
  for (int l = 1; l <= L; ++l) {
    const Adder a{c, l};
    const std::uint64_t n = u(layers[static_cast<size_t>(l)]), m = u(layers[static_cast<size_t>(l - 1)]);
    const std::uint64_t nB = n * batch, syn = n * m * batch;
    // The weight edge: residual u = z - (W a + b), then (from layer 2 on) W^T u for the layer below.
    a.mac(MacRole::Forward, w.weight, w.stalk, w.acc, syn, "W a");
    a.op(Op::Add, w.acc, nB, "+ b");
    a.op(Op::Add, w.acc, nB, "z - (W a + b)");
    a.op(Op::RegisterWrite, w.residual, nB, "u write");
    if (l >= 2) a.mac(MacRole::Backward, w.weight, w.residual, w.acc, syn, "W^T u");
    // The vertex update of layer l's stalks.
    if (l < L) {
      a.op(Op::Compare, w.stalk, nB, "m = 1[z >= 0]");
      a.op(Op::Add, w.stalk, nB, "q = a - m z");
      a.op(Op::Add, g_bits, nB, "g_z = u - m q");
      a.op(Op::Add, w.acc, nB, "g_a = q - W^T u");
      a.op(Op::ConstantMultiply, std::max(w.constant, g_bits), nB, "s g_z");
      a.op(Op::ConstantMultiply, std::max(w.constant, w.acc), nB, "s g_a");
      a.op(Op::Add, w.constant + g_bits, nB, "z - s g_z");
      a.op(Op::Add, w.constant + w.acc, nB, "a - s g_a");
      a.op(Op::RegisterWrite, w.stalk, 2 * nB, "z, a write");
    } else {
      if (kind != SheafStep::Inference) {
        a.op(Op::Add, w.stalk, nB, "g_out = z - y");
        a.op(Op::Add, g_bits, nB, "g = u + g_out");
      }
      a.op(Op::ConstantMultiply, std::max(w.constant, g_bits), nB, "s g");
      a.op(Op::Add, w.constant + g_bits, nB, "z - s g");
      a.op(Op::RegisterWrite, w.stalk, nB, "z write");
    }
    if (kind == SheafStep::Joint) {
      // Hebbian sums over the batch (old stalks), then one write per weight and bias.
      a.mac(MacRole::Gradient, w.residual, w.stalk, w.acc, syn, "u a^T");
      a.op(Op::Add, w.acc, nB, "h = sum_s u");
      a.update(w, n, m, {"eta H", "eta h", "W + eta H", "b + eta h"});
    }
  }
  return c;
}

OpCounts sheaf_training_step(const std::vector<int>& layers, std::uint64_t batch, const OpWidths& w, int inner) {
  if (inner < 1) throw InputError(fmt::format("--inner {} must be >= 1", inner));
  OpCounts c = sheaf_step(layers, batch, w, SheafStep::Diffusion).scaled(u(inner - 1));
  c += sheaf_step(layers, batch, w, SheafStep::Joint);
  return c;
}

OpCounts soft_pin_step(const PinSet& pins, std::uint64_t batch, const OpWidths& w) {
  OpCounts c;
  auto stalk = [&](const StalkPins& sp, int layer, bool a_stalk) {
    std::uint64_t n = 0;
    for (size_t i = 0; i < sp.gamma.size(); ++i) n += sp.gamma[i] > 0 && std::isnan(sp.hard[i]) ? 1 : 0;
    if (n == 0) return;
    const Adder a{c, layer};
    const std::uint64_t nB = n * batch;
    a.op(Op::Add, w.stalk, nB, "v - t (soft pin)");
    a.op(Op::ConstantMultiply, w.constant + 2, nB, "kp (v - t)");
    a.op(Op::Add, w.constant + (a_stalk ? w.acc : std::max(w.stalk, w.residual)), nB, "+ kp (v - t)");
  };
  for (size_t k = 0; k < pins.z.size(); ++k) stalk(pins.z[k], static_cast<int>(k) + 1, false);
  for (size_t k = 0; k < pins.a.size(); ++k) stalk(pins.a[k], static_cast<int>(k) + 1, true);
  stalk(pins.a_out, static_cast<int>(pins.z.size()), false);
  return c;
}

OpCounts sgd_step(const std::vector<int>& layers, std::uint64_t batch, const OpWidths& w) {
  check_layers(layers);
  OpCounts c;
  const int L = static_cast<int>(layers.size()) - 1;
  for (int l = 1; l <= L; ++l) {
    const Adder a{c, l};
    const std::uint64_t n = u(layers[static_cast<size_t>(l)]), m = u(layers[static_cast<size_t>(l - 1)]);
    const std::uint64_t nB = n * batch, mB = m * batch, syn = n * m * batch;
    // Forward pass, kept for the backward pass.
    a.mac(MacRole::Forward, w.weight, w.stalk, w.acc, syn, "W a");
    a.op(Op::Add, w.acc, nB, "+ b");
    a.op(Op::RegisterWrite, w.stalk, nB, "z write");
    if (l < L) {
      a.op(Op::Compare, w.stalk, nB, "a = max(z, 0)");
      a.op(Op::RegisterWrite, w.stalk, nB, "a write");
    } else {
      // d(mean squared error)/dz_L = 2 (z - y) / (n_L B)
      a.op(Op::Add, w.stalk, nB, "z - y");
      a.op(Op::ConstantMultiply, std::max(w.constant, w.stalk), nB, "2 (z - y) / (n_L B)");
      a.op(Op::RegisterWrite, w.residual, nB, "delta write");
    }
    // Backward pass: weight gradient, bias gradient, input gradient (not for the first layer).
    a.mac(MacRole::Gradient, w.residual, w.stalk, w.acc, syn, "delta a^T");
    a.op(Op::Add, w.acc, nB, "sum_s delta");
    if (l >= 2) {
      a.mac(MacRole::Backward, w.weight, w.residual, w.acc, syn, "W^T delta");
      a.op(Op::Compare, w.stalk, mB, "1[z > 0] (ReLU derivative)", l - 1);
      a.op(Op::RegisterWrite, w.residual, mB, "delta write", l - 1);
    }
    // Update, once per step.
    a.update(w, n, m, {"lr g_W", "lr g_b", "W - lr g_W", "b - lr g_b"});
  }
  return c;
}

OpCounts SidCounts::total() const {
  OpCounts t = extractor_forward;
  t += phase1;
  t += phase2;
  t += extractor_backward;
  t += update;
  return t;
}

SidCounts sid_step(const std::vector<int>& layers, std::uint64_t B, const OpWidths& w, int modules, int hidden) {
  check_layers(layers);
  if (modules < 1) throw InputError(fmt::format("--sid-modules {} must be >= 1", modules));
  const int L = static_cast<int>(layers.size()) - 1;
  SidCounts r;
  r.extractor.assign(layers.begin(), layers.end() - 1);
  const int E = L - 1;  // phi's layers
  r.features = layers[static_cast<size_t>(L - 1)];
  r.classes = layers.back();
  r.hidden = hidden > 0 ? hidden : 2 * r.features;
  r.modules = modules;
  const std::uint64_t d = u(r.features), C = u(r.classes), H = u(r.hidden), in = d + C;
  // phi forward (h = z_E, affine; ReLU between its layers).
  for (int l = 1; l <= E; ++l) {
    const Adder a{r.extractor_forward, l};
    const std::uint64_t n = u(layers[static_cast<size_t>(l)]), m = u(layers[static_cast<size_t>(l - 1)]);
    a.mac(MacRole::Forward, w.weight, w.stalk, w.acc, n * m * B, "phi: W a");
    a.op(Op::Add, w.acc, n * B, "phi: + b");
    a.op(Op::RegisterWrite, w.stalk, n * B, "phi: z write");
    if (l < E) {
      a.op(Op::Compare, w.stalk, n * B, "phi: a = max(z, 0)");
      a.op(Op::RegisterWrite, w.stalk, n * B, "phi: a write");
    }
  }
  // One module's forward: r = ReLU(W1 [t; h] + b1), z = W2 r + b2, then the belief softmax(z) (a lookup).
  auto module_forward = [&](const Adder& a, const char* tag) {
    a.mac(MacRole::Forward, w.weight, w.stalk, w.acc, H * in * B, tag);
    a.op(Op::Add, w.acc, H * B, "module: + b1");
    a.op(Op::Compare, w.stalk, H * B, "module: r = max(., 0)");
    a.op(Op::RegisterWrite, w.stalk, H * B, "module: r write");
    a.mac(MacRole::Forward, w.weight, w.stalk, w.acc, C * H * B, "module: W2 r");
    a.op(Op::Add, w.acc, C * B, "module: + b2");
    a.op(Op::RegisterWrite, w.stalk, C * B, "module: belief write");
  };
  for (int k = 1; k <= modules; ++k) {
    module_forward(Adder{r.phase1, E + k}, "module (phase 1): W1 [t; h]");
    const Adder a{r.phase2, E + k};
    module_forward(a, "module (phase 2): W1 [t; h]");
    // Local error e = p - (alpha y + (1 - alpha) t_{k-1}) = dL_k/dz_k.
    a.op(Op::ConstantMultiply, std::max(w.constant, w.stalk), 2 * C * B, "alpha y, (1 - alpha) t");
    a.op(Op::Add, w.stalk, 2 * C * B, "e = p - (alpha y + (1 - alpha) t)");
    a.op(Op::RegisterWrite, w.residual, C * B, "e write");
    // Backward inside the module (and into h, not into the stop-gradient belief).
    a.mac(MacRole::Gradient, w.residual, w.stalk, w.acc, C * H * B, "module: e r^T");
    a.op(Op::Add, w.acc, C * B, "module: sum_s e");
    a.mac(MacRole::Backward, w.weight, w.residual, w.acc, C * H * B, "module: W2^T e");
    a.op(Op::Compare, w.stalk, H * B, "module: 1[r > 0]");
    a.op(Op::RegisterWrite, w.residual, H * B, "module: delta write");
    a.mac(MacRole::Gradient, w.residual, w.stalk, w.acc, H * in * B, "module: delta [t; h]^T");
    a.op(Op::Add, w.acc, H * B, "module: sum_s delta");
    if (E > 0) {
      a.mac(MacRole::Backward, w.weight, w.residual, w.acc, d * H * B, "module: W1_h^T delta");
      a.op(Op::Add, w.acc, d * B, "sum_k dL_k/dh");
    }
  }
  r.softmax_evaluations = 2 * u(modules) * C * B;
  // phi backward on dL/dh (ordinary backprop inside phi).
  if (E > 0) Adder{r.extractor_backward, E}.op(Op::RegisterWrite, w.residual, d * B, "phi: delta write");
  for (int l = E; l >= 1; --l) {
    const Adder a{r.extractor_backward, l};
    const std::uint64_t n = u(layers[static_cast<size_t>(l)]), m = u(layers[static_cast<size_t>(l - 1)]);
    a.mac(MacRole::Gradient, w.residual, w.stalk, w.acc, n * m * B, "phi: delta a^T");
    a.op(Op::Add, w.acc, n * B, "phi: sum_s delta");
    if (l >= 2) {
      a.mac(MacRole::Backward, w.weight, w.residual, w.acc, n * m * B, "phi: W^T delta");
      a.op(Op::Compare, w.stalk, m * B, "phi: 1[z > 0]", l - 1);
      a.op(Op::RegisterWrite, w.residual, m * B, "phi: delta write", l - 1);
    }
  }
  // Update of every parameter, once per step.
  auto update = [&](int layer, std::uint64_t weights, std::uint64_t biases) {
    const Adder a{r.update, layer};
    a.op(Op::UpdateMultiply, std::max(w.constant, w.acc), weights + biases, "lr g");
    a.op(Op::Add, w.constant + w.acc, weights + biases, "theta - lr g");
    a.op(Op::RegisterWrite, w.weight, weights, "W write");
    a.op(Op::RegisterWrite, w.bias, biases, "b write");
    r.parameters += weights + biases;
  };
  for (int l = 1; l <= E; ++l)
    update(l, u(layers[static_cast<size_t>(l)]) * u(layers[static_cast<size_t>(l - 1)]), u(layers[static_cast<size_t>(l)]));
  for (int k = 1; k <= modules; ++k) update(E + k, H * in + C * H, H + C);
  return r;
}

}  // namespace sheafsim::ops
