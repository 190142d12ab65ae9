#pragma once
// Analytic operation counts (sheaf-math.md §11, docs/ops.md): how many
// multiply-accumulates, adds, compares, constant multiplies and register
// writes one step of sheaf training (a stalk-only diffusion step, a joint
// step), one inference step and one full-batch backprop SGD step take, per
// layer, for a whole batch, at the operand widths of a fixed-point
// configuration. Device-independent: the mesh-dependent counts (SRAM bits,
// flits x hops, partial-sum reductions) are in model/ (mesh_op_counts.h).
//
// Every count is exact (integers); the widths say which adder or multiplier
// does the work, so that an energy table (energy_table.h) can price it.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/reference/pins.h"

namespace sheafsim::ops {

enum class Op {
  Mac,               // synapse multiply-accumulate: bits x bits_b product into an acc_bits adder
  UpdateMultiply,    // the once-per-step scaling of an accumulated gradient by eta (sheaf) or lr (sgd)
  ConstantMultiply,  // s * g of a stalk update (sheaf), the loss scaling 2 / (n_L B) (sgd)
  Add,               // an addition or subtraction of `bits` bits (bias terms, reductions, forces, updates)
  Compare,           // a ReLU mask (sign test) or max(z, 0)
  RegisterWrite,     // a rounded write of a `bits`-bit register (residual, stalk, weight, bias, delta)
};
const char* to_string(Op op);

// The role of a synapse MAC (the three products of sheaf-math §11).
enum class MacRole { None, Forward, Backward, Gradient };
const char* to_string(MacRole r);

struct OpItem {
  Op op = Op::Add;
  int layer = 0;            // the weight edge (1..L) whose work this is
  MacRole role = MacRole::None;
  int bits = 0;             // operand width (the wider multiplier operand, the adder, the register)
  int bits_b = 0;           // Mac: the other operand
  int acc_bits = 0;         // Mac: the accumulator
  std::string what;         // e.g. "W a", "s g_z", "z write"
  std::uint64_t count = 0;
};

// A bag of counted operations; items with the same (op, layer, role, widths, what) merge.
class OpCounts {
 public:
  void add(const OpItem& item);
  OpCounts& operator+=(const OpCounts& other);
  OpCounts scaled(std::uint64_t factor) const;
  OpCounts layer(int l) const;  // only the items of weight edge l
  const std::vector<OpItem>& items() const { return items_; }

  std::uint64_t total(Op op) const;
  std::uint64_t macs(MacRole role) const;
  std::uint64_t synapse_macs() const { return total(Op::Mac); }
  std::uint64_t register_write_bits() const;
  // {"synapse_macs", "macs_forward", ..., "adds_by_bits": {...}} (no energy)
  nlohmann::json to_json() const;

 private:
  std::vector<OpItem> items_;
};

// Operand widths in bits (docs/fixed-point.md §2): every method is counted at
// the same widths, so that the comparison is on equal footing.
struct OpWidths {
  int stalk = 16, weight = 16, bias = 16, residual = 16, constant = 32, acc = 48;
  static OpWidths of(const FixedConfig& cfg);
  nlohmann::json to_json() const;
};

enum class SheafStep {
  Diffusion,  // a stalk-only training step (two-sided pins, no parameter update)
  Joint,      // a joint training step: stalks and parameters
  Inference,  // a diffusion step with the input pinned only (no output edge)
};

// One sheaf step for a batch of `batch` samples (docs/ops.md has the table).
// Identity output (the sigmoid/softmax lookup unit is counted with the mesh: output_unit_cost.h).
OpCounts sheaf_step(const std::vector<int>& layers, std::uint64_t batch, const OpWidths& w, SheafStep kind);

// One sheaf training step in the inner-K sense: K - 1 diffusion steps and one joint step.
OpCounts sheaf_training_step(const std::vector<int>& layers, std::uint64_t batch, const OpWidths& w, int inner);

// The soft pins' work in one step of any kind (pins.h, docs/fixed-point.md
// §4.3): per soft-pinned coordinate (not hard-pinned) and sample, the
// difference v - t, the multiply by the pin constant kp (two more integer bits
// than the constant format) and its add into the stalk update: one
// multiply-add, as the vertex units count it (soft_pin_multiply_adds).
OpCounts soft_pin_step(const PinSet& pins, std::uint64_t batch, const OpWidths& w);

// One full-batch backprop step (sgd_trainer.h): forward, output gradient,
// weight gradients, input gradients (none for the first layer), update.
OpCounts sgd_step(const std::vector<int>& layers, std::uint64_t batch, const OpWidths& w);

// SID (../shared/docs/sid.md), one training step for a batch, counted on an
// MLP reading of its architecture (docs/ops.md §2): the feature extractor phi
// is the network's layers n0 .. n_{L-1} (ReLU between its layers, its last
// layer affine: h = z_{L-1}, d = n_{L-1}; none when L = 1, h = x), the C = n_L
// classes, and `modules` modules Linear(d + C -> hidden) - ReLU -
// Linear(hidden -> C). One step: phi forward; phase 1, the gradient-free
// cascade of teacher beliefs; phase 2, every module's forward, local error
// p - (alpha y + (1 - alpha) t), and backward inside the module (and into h);
// phi backward on the summed dL/dh; the update of every parameter.
// Items of module k carry layer L - 1 + k (after phi's layers 1 .. L-1).
struct SidCounts {
  int features = 0, classes = 0, hidden = 0, modules = 0;
  std::vector<int> extractor;  // phi's widths n0 .. d (one entry when there is no phi)
  OpCounts extractor_forward, phase1, phase2, extractor_backward, update;
  std::uint64_t softmax_evaluations = 0;  // 2 M C per sample (a lookup: counted, not priced)
  std::uint64_t parameters = 0;           // weights and biases of phi and the modules
  OpCounts total() const;
};
SidCounts sid_step(const std::vector<int>& layers, std::uint64_t batch, const OpWidths& w, int modules, int hidden);

// Closed forms of sheaf-math §11, per sample and step: P, n0 n1, 3P - n0 n1.
std::uint64_t num_weights(const std::vector<int>& layers);
std::uint64_t synapse_macs_per_sample(const std::vector<int>& layers, bool gradient);

}  // namespace sheafsim::ops
