#pragma once
// The pins of a run as the fixed-point model holds them (docs/fixed-point.md
// §4.3): hard values and soft targets quantised once to the stalk format, the
// soft strengths folded into kp = round(s gamma) once the step constant s is
// known. The bit-accurate model and the mesh's vertex units read the same plan.
#include <cstdint>
#include <string>
#include <vector>

#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/fixed/vertex_datapath.h"
#include "sheafsim/reference/pins.h"
#include "sheafsim/reference/sheaf_state.h"

namespace sheafsim {

using IMatrixRef = Eigen::Ref<Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>>;

// The pins of one stalk, per coordinate (row); empty vectors: unpinned.
struct FixedStalkPins {
  std::vector<std::uint8_t> is_hard;  // 1: hard-pinned, takes `hard` after every step
  std::vector<std::int64_t> hard;     // raw stalk
  std::vector<double> gamma;          // the summed soft strength (0: none)
  std::vector<vertex::SoftPin> soft;  // kp (frac fc, from the last s) and the raw target
  bool any_hard = false, any_soft = false;
  bool pinned() const { return any_hard || any_soft; }
  bool hard_row(Eigen::Index r) const { return any_hard && is_hard[static_cast<size_t>(r)] != 0; }
  vertex::SoftPin soft_row(Eigen::Index r) const { return any_soft ? soft[static_cast<size_t>(r)] : vertex::SoftPin{}; }
};

struct FixedPinPlan {
  std::vector<FixedStalkPins> z, a;  // z_l at z[l - 1], a_l at a[l - 1]
  FixedStalkPins a_out;
  std::vector<int> free_inputs;
  double s_seen = -1;  // kp was computed for this s
  bool empty() const { return z.empty() && a.empty() && !a_out.pinned() && free_inputs.empty(); }
  bool any_soft() const;
  // kp = round(s gamma) of every soft coordinate, once per value of s; throws
  // InputError naming the stalk and coordinate when s gamma >= 2 or kp rounds to 0.
  void set_step(double s, const FixedConfig& cfg);
};

// A hard-pinned coordinate's writes are discarded (§4.3): the step keeps the
// old value (no saturation, lost update or accumulator wrap counted), and the
// hard value is written after the step.
inline void discard_hard(vertex::HiddenStep& h, bool z_hard, bool a_hard, std::int64_t z, std::int64_t a) {
  if (z_hard) h.z = edge::Write{z};
  if (a_hard) {
    h.a = edge::Write{a};
    h.acc_wrapped = false;
  }
}

// Rows [r0, r1) of m (a stalk, one column per sample) take their hard values (r1 < 0: every row).
void apply_hard(const FixedStalkPins& sp, IMatrixRef m, Eigen::Index r0 = 0, Eigen::Index r1 = -1);
// Every hard-pinned coordinate of `st` takes its value.
void apply_hard_pins(const FixedPinPlan& plan, BasicSheafState<Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>>& st);

// Quantises `pins` for `cfg` (saturations counted under FxClass::Input, layer 1).
FixedPinPlan plan_pins(const PinSet& pins, const FixedConfig& cfg, FixedCounters& counters);

// The refusals of plan_pins and set_step for a run with step constant s, before the run.
void check_pins(const PinSet& pins, const FixedConfig& cfg, double s);

// kp = round(s gamma) in the pin-constant format Q(ic + 2).fc; `where` names the coordinate ("z_2[3]").
std::int64_t pin_constant(double s, double gamma, const FixedConfig& cfg, const std::string& where);

}  // namespace sheafsim
