#include "sheafsim/inference.h"

#include <chrono>

namespace sheafsim {

InferenceResult run_inference(const Network& net, const Matrix& X, const InferenceOptions& opt,
                              const InferenceProgress& progress, long every) {
  const auto t0 = std::chrono::steady_clock::now();
  Rng rng(opt.seed);
  InferenceResult r;
  const bool out_vertex = net.output != OutputKind::Identity;
  r.state = make_state(net, X, opt.init, rng, out_vertex);
  Network frozen = net;  // step() may update parameters; inference never does
  SheafDynamics dyn(frozen, X.cols());
  StepParams p;
  p.s = opt.alpha * opt.dt;
  p.phase = Phase::Inference;
  p.output_mode = opt.output_mode;
  const long limit = opt.fixed_steps >= 0 ? opt.fixed_steps : opt.max_steps;
  for (long i = 0; i < limit; ++i) {
    r.last_delta = dyn.step(frozen, r.state, X, nullptr, p, false);
    r.steps = i + 1;
    if (progress && r.steps % every == 0) progress(r.steps, r.last_delta);
    if (opt.fixed_steps < 0 && r.last_delta < opt.tol) break;
  }
  r.converged = r.steps > 0 && r.last_delta < opt.tol;
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace sheafsim
