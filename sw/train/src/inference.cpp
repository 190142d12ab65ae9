#include "sheafsim/train/inference.h"

#include <chrono>

namespace sheafsim {

namespace {

// The relaxation loop, shared by every arithmetic.
template <typename Engine, typename Net, typename State, typename Mat>
void relax(Engine& engine, Net& net, State& st, const Mat& X, const InferenceOptions& opt,
           const InferenceProgress& progress, long every, InferenceResult& r) {
  StepParams p;
  p.s = opt.alpha * opt.dt;
  p.phase = Phase::Inference;
  p.output_mode = opt.output_mode;
  const long limit = opt.fixed_steps >= 0 ? opt.fixed_steps : opt.max_steps;
  for (long i = 0; i < limit; ++i) {
    r.last_delta = engine.step(net, st, X, nullptr, p, false);
    r.steps = i + 1;
    if (progress && r.steps % every == 0) progress(r.steps, r.last_delta);
    if (opt.fixed_steps < 0 && r.last_delta < opt.tol) break;
  }
  r.converged = r.steps > 0 && r.last_delta < opt.tol;
}

}  // namespace

InferenceResult run_inference(const Network& net, const Matrix& X, const InferenceOptions& opt,
                              const InferenceProgress& progress, long every) {
  const auto t0 = std::chrono::steady_clock::now();
  Rng rng(opt.seed);
  InferenceResult r;
  r.state = make_state(net, X, opt.init, rng, net.output != OutputKind::Identity);
  Network frozen = net;  // the engine's step may update parameters; inference never asks it to
  SheafDynamics engine(frozen, X.cols());
  engine.set_pins(opt.pins.get(), r.state, X);
  relax(engine, frozen, r.state, X, opt, progress, every, r);
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

InferenceResult run_inference_fixed(const Network& net, const Matrix& X, const InferenceOptions& opt,
                                    const FixedConfig& cfg, FixedRunInfo* info, const InferenceProgress& progress,
                                    long every, const FixedStepperFactory& make_stepper) {
  const auto t0 = std::chrono::steady_clock::now();
  cfg.validate();
  FixedCounters loads;  // loading counts its input saturations here
  loads.resize(net.depth());
  FixedNetwork fnet = to_fixed(net, cfg, loads);
  const IMatrix Xq = to_fixed(X, cfg.stalk, cfg, loads);
  Rng rng(opt.seed);
  FixedState st = to_fixed(make_state(to_float(fnet, cfg), to_float(Xq, cfg.stalk), opt.init, rng,
                                      net.output != OutputKind::Identity),
                           cfg, loads);
  std::unique_ptr<FixedStepper> engine = make_fixed_stepper(make_stepper, fnet, X.cols(), cfg, loads);
  engine->set_pins(opt.pins.get(), st, Xq);  // quantised with cfg (docs/fixed-point.md §4.3)
  InferenceResult r;
  relax(*engine, fnet, st, Xq, opt, progress, every, r);
  r.state = to_float(st, cfg);
  if (info != nullptr) *info = engine->run_info();
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace sheafsim
