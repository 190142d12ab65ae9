#pragma once
// The bit-accurate fixed-point model: FixedArith, the arithmetic policy of
// SheafEngine that implements docs/fixed-point.md. Stalks and parameters are
// integer matrices of raw values; products and sums are exact wide integers;
// each value is rounded once, when written to its register.
#include <cstdint>
#include <vector>

#include "sheafsim/bitacc/fixed_pins.h"
#include "sheafsim/reference/dataset.h"
#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/reference/sheaf_engine.h"
#include "sheafsim/reference/sheaf_state.h"

namespace sheafsim {

using IMatrix = Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>;
using IVector = Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1>;
using FixedState = BasicSheafState<IMatrix>;

struct FixedNetwork {
  std::vector<int> layers;
  OutputKind output = OutputKind::Identity;
  std::vector<IMatrix> W;  // raw, weight format
  std::vector<IVector> b;  // raw, bias format
  int depth() const { return static_cast<int>(layers.size()) - 1; }
};

// Conversions at the boundary of the fixed-point model. Loading rounds to
// nearest (ties to even) with the configured overflow mode and counts
// saturations under FxClass::Input; reading back is exact.
FixedNetwork to_fixed(const Network& net, const FixedConfig& cfg, FixedCounters& counters);
Network to_float(const FixedNetwork& net, const FixedConfig& cfg);
IMatrix to_fixed(const Matrix& m, const fx::FixedFormat& f, const FixedConfig& cfg, FixedCounters& counters);
Matrix to_float(const IMatrix& m, const fx::FixedFormat& f);
SheafState to_float(const FixedState& st, const FixedConfig& cfg);
FixedState to_fixed(const SheafState& st, const FixedConfig& cfg, FixedCounters& counters);

// What a fixed-point run reports besides its result.
struct FixedRunInfo {
  FixedConfig config;
  FixedCounters counters;
  double s_used = 0, eta_used = 0;  // the quantised step constants, as values
  std::int64_t s_raw = 0, eta_raw = 0;
  nlohmann::json to_json() const;
};

// A training problem as the fixed-point model holds it: the network, inputs
// and targets quantised once (round to nearest even, saturations counted
// under FxClass::Input in `loads`). Every fixed-point trainer starts here.
struct FixedProblem {
  FixedCounters loads;
  FixedNetwork net;
  IMatrix X, Y;
};
FixedProblem quantise_problem(const Network& net, const Dataset& data, const FixedConfig& cfg);

// The float values of data as the fixed-point model pins them (quantised to the
// stalk format, saturations counted).
Dataset pinned_values(const Dataset& data, const FixedConfig& cfg, FixedCounters& counters);

class FixedArith {
 public:
  using Net = FixedNetwork;
  using State = FixedState;
  using Mat = IMatrix;
  struct Workspace {
    std::vector<IMatrix> U;                 // residuals, raw residual format
    std::vector<std::vector<fx::wide>> WtU; // W_{l+1}^T u_{l+1}, exact, frac fw + fr
    std::vector<fx::wide> g_out;            // output force, exact, frac g_out_frac
    int g_out_frac = 0;
    std::vector<fx::wide> input_pull;       // W_1^T u_1 on the free input coordinates, exact, frac fw + fr
    std::vector<fx::wide> acc;              // scratch accumulators
    std::vector<std::int64_t> acc64;        // the same, when the sums provably fit in 64 bits
    std::vector<bool> forward64, backward64, hebbian64;  // per layer: may the sums use int64?
    std::vector<std::vector<std::int64_t>> WtU64;         // WtU when backward64 holds
    std::vector<bool> update64;                           // per layer: may the stalk updates use int64?
    std::vector<int> n_next;                              // n_{k+2}, for the bounds
    double s_seen = -1;                                   // update64 was computed for this s
    // The exact-double fast path (arith_fixed_fast.cpp):
    // integer values held in doubles, valid for the step whose stamp they carry
    // (steps_done() + 1; 0 = not computed this step).
    struct Fast {
      std::vector<Matrix> Ud;            // u_k (after rounding), per layer
      std::vector<Matrix> WtUd;          // W_{k+2}^T u_{k+2}, per hidden layer
      std::vector<Matrix> Ad;            // a_k, per hidden layer (range-checked)
      std::vector<Matrix> Wd;            // W_k
      std::vector<Matrix> Ws;            // W_k 2^-(fw + fs - fr)
      std::vector<Vector> bd;            // b_k 2^(fr - fb) (= b_k 2^(fw + fs - fb) 2^-(fw + fs - fr))
      Matrix Xd;                         // the pinned input
      // Exact magnitudes and bounds (integers): max |u_k|; a bound on |W^T u| per
      // hidden layer; max_i sum_j |W_k[i,j]| and max_j sum_i |W_k[i,j]|; max |x|.
      std::vector<fx::uwide> umax, wtumax, wrow, wcol;
      std::vector<fx::uwide> zmax, amax;  // max |z_k|, max |a_k| read this step
      fx::uwide xmax = 0;
      Matrix P;                          // W 2^-d prev for the residual, scratch
      Matrix H;                          // Hebbian sums, scratch
      Vector hrow;                       // bias sums, scratch
      std::vector<fx::wide> hsum;        // bias sums, scratch
      std::vector<double> g;             // the output layer's force, scratch
      std::vector<std::uint64_t> u_stamp, wtu_stamp, a_stamp, z_stamp;
      std::vector<std::uint64_t> u_int_stamp;  // Ud copied to U (int64) for a general-path kernel
      std::uint64_t x_stamp = 0, round_stamp = 0;
      bool round_ok = false;             // IEEE round-to-nearest is the current mode
    } fast;
  };

  explicit FixedArith(FixedConfig cfg = FixedConfig());

  const FixedConfig& config() const { return cfg_; }
  const FixedCounters& counters() const { return counters_; }
  FixedCounters& counters() { return counters_; }
  std::uint64_t steps_done() const { return step_; }
  FixedRunInfo run_info() const;  // configuration, counters and the constants used
  // The quantised step constants of the last step (raw, constant format).
  std::int64_t s_raw() const { return s_raw_; }
  std::int64_t eta_raw() const { return eta_raw_; }

  void prepare(Workspace& ws, const FixedNetwork& net, Eigen::Index batch);
  void residual(Workspace& ws, int k, const FixedNetwork& net, const FixedState& st, const IMatrix& X);
  void backward(Workspace& ws, int k, const FixedNetwork& net);
  double output_force(Workspace& ws, const FixedNetwork& net, FixedState& st, const IMatrix* Y, const StepParams& p);
  void hebbian(Workspace& ws, int k, FixedNetwork& net, const FixedState& st, const IMatrix& X, const StepParams& p);
  double update_hidden(Workspace& ws, int k, FixedState& st, const StepParams& p);
  double update_output(Workspace& ws, FixedState& st, const StepParams& p);
  void end_step() { ++step_; }
  // Partial clamping (pins.h, docs/fixed-point.md §4.3): the pins quantised
  // for this configuration (fixed_pins.h); null: none.
  void set_pins(const PinSet* pins);
  const FixedPinPlan* pin_plan() const { return pinned_ ? &pins_ : nullptr; }
  void input_pull(Workspace& ws, const FixedNetwork& net);
  double update_input(Workspace& ws, FixedState& st, const StepParams& p);
  void apply_hard_pins(FixedState& st);

 private:
  void load_constants(const StepParams& p);
  // Decides, from the formats, the widths and the actual |s|, where the stalk
  // updates provably fit in 64 bits (results are identical either way).
  void plan_update64(Workspace& ws);
  // Random bits for a stochastic rounding at (sample, site); 0 otherwise.
  std::uint64_t rnd(std::uint64_t sample, FxClass cls, int layer, std::uint64_t row) const;
  // The accumulator register: exact value wrapped to acc_bits (counted if it overflowed).
  fx::wide acc_fit(fx::wide v, int layer);
  // The general path of update_hidden: dpint::hidden_update over the layer's
  // registers in T (int64 where plan_update64 proved it safe, else __int128),
  // the modes Q, O as compile-time constants.
  template <typename T, fx::Quant Q, fx::Overflow O, bool Pinned>
  double update_hidden_int(Workspace& ws, int k, FixedState& st, const StepParams& p, const T* wtu);
  std::int64_t write(fx::wide v, int frac, const fx::FixedFormat& f, FxClass cls, int layer, std::uint64_t sample,
                     std::uint64_t row);
  // The exact-double fast path of each kernel; false when its bounds do not
  // hold (the caller then runs the general path, which gives the same bits).
  bool fast_enabled(Workspace& ws);
  bool residual_fast(Workspace& ws, int k, const FixedNetwork& net, const FixedState& st, const IMatrix& X);
  bool backward_fast(Workspace& ws, int k);
  bool hebbian_fast(Workspace& ws, int k, FixedNetwork& net);
  bool update_hidden_fast(Workspace& ws, int k, FixedState& st, const StepParams& p, double* max_change);
  bool update_output_fast(Workspace& ws, FixedState& st, const StepParams& p, double* max_change);
  // The fast residual keeps u as doubles only; a general-path kernel reading U calls this first.
  void ensure_int_residual(Workspace& ws, int k);
  std::uint64_t stamp() const { return step_ + 1; }

  FixedConfig cfg_;
  FixedCounters counters_;
  std::uint64_t step_ = 0;
  double s_cached_ = -1, eta_cached_ = -1;
  std::int64_t s_raw_ = 0, eta_raw_ = 0;
  const PinSet* pin_source_ = nullptr;  // the PinSet pins_ was planned from (quantised once per run)
  FixedPinPlan pins_;
  bool pinned_ = false;
};

using FixedDynamics = SheafEngine<FixedArith>;



}  // namespace sheafsim
