#include "sheafsim/sheaf_trainer.h"

#include <chrono>
#include <cmath>

#include "sheafsim/discord.h"

namespace sheafsim {

double effective_beta(const SheafTrainOptions& opt, Eigen::Index n_train) {
  return std::isnan(opt.beta) ? 1.0 / static_cast<double>(n_train) : opt.beta;
}

TrainResult train_sheaf(Network& net, const Dataset& train, const Dataset* test, const SheafTrainOptions& opt,
                        const TrainProgress& progress, SheafState* final_state) {
  const auto t0 = std::chrono::steady_clock::now();
  Rng rng(opt.seed);
  SheafState st = make_state(net, train.X, opt.init, rng, false);
  SheafDynamics dyn(net, train.size());
  StepParams p;
  p.s = opt.alpha * opt.dt;
  p.eta = effective_beta(opt, train.size()) * opt.dt;
  p.phase = Phase::Training;
  p.track_change = false;
  const int K = opt.inner < 1 ? 1 : opt.inner;

  TrainResult r;
  auto record = [&](long step) {
    TrainPoint pt;
    pt.step = step;
    pt.train = evaluate(net, train);
    if (test != nullptr) pt.test = evaluate(net, *test);
    pt.discord_total = discord(net, st, train.X, &train.Y, Phase::Training).total;
    r.history.push_back(pt);
    if (progress) progress(pt, opt.steps);
  };
  record(0);
  for (long i = 0; i < opt.steps; ++i) {
    if (opt.reinit_each_epoch && i > 0 && opt.epoch_steps > 0 && i % opt.epoch_steps == 0)
      set_to_forward(net, train.X, st);
    const bool joint = (i + 1) % K == 0;
    dyn.step(net, st, train.X, &train.Y, p, joint);
    if (joint) ++r.param_updates;
    r.steps = i + 1;
    if (r.steps % opt.log_every == 0 || r.steps == opt.steps) record(r.steps);
  }
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (final_state != nullptr) *final_state = std::move(st);
  return r;
}

}  // namespace sheafsim
