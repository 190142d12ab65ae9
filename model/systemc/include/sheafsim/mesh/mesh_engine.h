#pragma once
// The SystemC model of the mesh as a fixed-point stepper: it elaborates one
// EdgePe per mesh node and one VertexUnit per vertex group into its own
// simulation context, and every step() runs the kernel until the mesh has
// finished that step. The stalks and weights it computes are bit-identical to
// the bit-accurate model's; it also counts cycles, traffic and operations.
// An engine of method Sgd runs backprop SGD steps on the same units instead
// (sgd_step(), mesh_sgd_stepper), bit-identical to FixedSgd.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sheafsim/bitacc/fixed_stepper.h"
#include "sheafsim/bitacc/sgd_stepper.h"
#include "sheafsim/mesh/kernel_scope.h"
#include "sheafsim/mesh/mesh_context.h"
#include "sheafsim/arch/mesh_buffers.h"
#include "sheafsim/arch/mesh_op_counts.h"
#include "sheafsim/arch/mesh_trace.h"

namespace sheafsim::mesh {

class EdgePe;
class VertexUnit;

struct MeshTiming {
  std::uint64_t total_cycles = 0;
  std::uint64_t steps = 0, joint_steps = 0;
  std::uint64_t joint_cycles = 0, stalk_cycles = 0;  // cycles spent in joint / stalk-only steps
  double wall_s = 0;                                  // wall time inside the SystemC kernel
};

class MeshEngine final : public FixedStepper {
 public:
  // Throws InputError when the network or the mapping cannot run on this mesh.
  // `datapath` builds each PE's arithmetic (empty: the C++ datapath); with
  // `trace.path` set, the run is recorded as a VCD waveform (mesh_trace.h).
  // `method` fixes what every step of the engine computes: sheaf Euler steps
  // (step()) or backprop SGD steps (sgd_step()); the SRAM check counts what it stores.
  MeshEngine(const MeshConfig& mesh, const FixedNetwork& net, Eigen::Index batch, const FixedConfig& cfg,
             const FixedCounters& loads, PeDatapathFactory datapath = {}, const MeshTraceOptions& trace = {},
             MeshMethod method = MeshMethod::Sheaf);
  ~MeshEngine() override;

  // A sheaf Euler step (a sheaf engine only).
  double step(FixedNetwork& net, FixedState& st, const IMatrix& X, const IMatrix* Y, const StepParams& p,
              bool update_params) override;
  // A full-batch backprop SGD step (an SGD engine only), FixedSgdStepper::step's
  // contract: the bits of the bit-accurate FixedSgd, the stochastic bits of step
  // number steps-done-before.
  void sgd_step(FixedNetwork& net, const IMatrix& X, const IMatrix& Y, std::int64_t eta_raw);
  MeshMethod method() const { return ctx_.method; }
  FixedCounters& counters() override { return ctx_.counters; }
  FixedRunInfo run_info() const override;
  void set_pins(const PinSet* pins, FixedState& st, const IMatrix& X) override;

  const MeshMapping& mapping() const { return *map_; }
  const MeshTiming& timing() const { return timing_; }
  // The run's formats and modes, and the mesh's configuration.
  const FixedConfig& fixed_config() const { return ctx_.fx; }
  const MeshConfig& mesh_config() const { return ctx_.mesh; }
  // The aggregate figures (units in the names) and the per-unit/per-link table.
  nlohmann::json report() const;
  std::string counters_csv() const;
  // Rows for the end-of-run statistics block: name, value.
  std::vector<std::pair<std::string, std::string>> statistics() const;
  UnitCounters pe_totals() const;
  UnitCounters vertex_totals() const;
  // Closes the VCD file (--trace) after the run and says what it holds;
  // throws InputError on a write error. Without a trace: an empty summary.
  // An engine destroyed without it (a failed run) leaves no file.
  TraceSummary finish_trace();

 private:
  std::unique_ptr<KernelScope> kernel_;  // first member: the context outlives every module
  MeshContext ctx_;
  std::unique_ptr<MeshMapping> map_;
  std::unique_ptr<MeshNoc> noc_;
  std::vector<std::unique_ptr<EdgePe>> pes_;
  std::vector<std::unique_ptr<VertexUnit>> units_;
  MeshTiming timing_;
  MeshBuffers buffers_;
  // The analytic counts of a joint and of a diffusion step: their busiest unit is the step's lower bound.
  MeshStepCounts bound_joint_, bound_diffusion_;
  OutputKind output_ = OutputKind::Identity;  // the network's output (the bounds)
  void check_finished() const;
  // Runs the kernel through the step set up in ctx_ and books its cycles.
  void run_step(bool update_params);
  // The first cycle of the next step's kernel run (mesh_engine.cpp).
  std::uint64_t next_origin() const;
  // A kind of step's figures: its mean cycles, the bound and their ratio, utilisations (null: no such step).
  nlohmann::json step_figures(const MeshStepCounts& counts, std::uint64_t cycles, std::uint64_t steps) const;
  double s_cached_ = -1, eta_cached_ = -1;
  const PinSet* pin_source_ = nullptr;  // the PinSet pins_ was planned from
  FixedPinPlan pins_;
  std::uint64_t soft_pin_ops_ = 0;  // soft pins' multiply-adds in the vertex units (not in UnitCounters)
  std::unique_ptr<MeshTrace> trace_;  // --trace, or null
  MeshTraceOptions trace_opt_;        // its options (set_pins reopens it for free input pins)
};

// A factory for train_sheaf_fixed that builds a MeshEngine and shares it
// through *out, so that its counters can be read after the run; `datapath`
// and `trace` as for MeshEngine.
FixedStepperFactory mesh_stepper(const MeshConfig& mesh, std::shared_ptr<MeshEngine>* out,
                                 PeDatapathFactory datapath = {}, const MeshTraceOptions& trace = {});

// The same for train_sgd_fixed (`simulate --method sgd`): a factory of SGD
// steppers running on a MeshEngine of method Sgd, shared through *out.
FixedSgdStepperFactory mesh_sgd_stepper(const MeshConfig& mesh, std::shared_ptr<MeshEngine>* out,
                                        PeDatapathFactory datapath = {}, const MeshTraceOptions& trace = {});

}  // namespace sheafsim::mesh
