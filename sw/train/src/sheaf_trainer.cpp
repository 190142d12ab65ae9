#include "sheafsim/train/sheaf_trainer.h"

#include <cmath>

#include "sheafsim/reference/discord.h"

namespace sheafsim {

double effective_beta(const SheafTrainOptions& opt, Eigen::Index n_train) {
  return std::isnan(opt.beta) ? 1.0 / static_cast<double>(n_train) : opt.beta;
}

namespace {

// The training schedule (§7.1-7.3), shared by every arithmetic: K-1
// stalk-only steps then one joint step, optional per-epoch re-initialisation,
// history points every log_every steps. `view` turns the engine's network and
// state into float ones for evaluation; `pinned` is the (float value of the)
// data the engine pins, for the discord; `reinit` resets the stalks.
template <typename Engine, typename Net, typename State, typename Mat, typename View, typename Reinit>
TrainResult run_schedule(Engine& engine, Net& net, State& st, const Mat& X, const Mat& Y, const Dataset& train,
                         const Dataset& pinned, const Dataset* test, const SheafTrainOptions& opt,
                         const TrainProgress& progress, View&& view, Reinit&& reinit) {
  StepParams p;
  p.s = opt.alpha * opt.dt;
  p.eta = effective_beta(opt, train.size()) * opt.dt;
  p.phase = Phase::Training;
  p.track_change = false;
  const int K = opt.inner < 1 ? 1 : opt.inner;
  auto point = [&](long step) {
    Network fnet;
    SheafState fst;
    view(net, st, fnet, fst);
    TrainPoint pt = evaluate_point(fnet, train, test, step);
    pt.discord_total = discord(fnet, fst, pinned.X, &pinned.Y, Phase::Training).total;
    return pt;
  };
  auto observe = [&](long step) {
    if (!opt.observe || opt.observe_every <= 0) return;
    if (step != 0 && step % opt.observe_every != 0 && step != opt.steps) return;
    Network fnet;
    SheafState fst;
    view(net, st, fnet, fst);
    opt.observe(step, fnet, fst);
  };
  observe(0);
  return run_training_steps(
      opt.steps, opt.log_every, progress,
      [&](long i) {
        if (opt.reinit_each_epoch && i > 0 && opt.epoch_steps > 0 && i % opt.epoch_steps == 0) reinit(net, st);
        const bool joint = (i + 1) % K == 0;
        engine.step(net, st, X, &Y, p, joint);
        observe(i + 1);
        return joint;
      },
      point, opt.stop);
}

}  // namespace

TrainResult train_sheaf(Network& net, const Dataset& train, const Dataset* test, const SheafTrainOptions& opt,
                        const TrainProgress& progress, SheafState* final_state) {
  Rng rng(opt.seed);
  SheafState st = make_state(net, train.X, opt.init, rng, false);
  SheafDynamics engine(net, train.size());
  engine.set_pins(opt.pins.get(), st, train.X);
  // The float view is the state itself; copies happen only at history points.
  TrainResult r = run_schedule(
      engine, net, st, train.X, train.Y, train, train, test, opt, progress,
      [](const Network& n, const SheafState& s, Network& fn, SheafState& fs) { fn = n; fs = s; },
      [&](Network& n, SheafState& s) {
        set_to_forward(n, train.X, s);
        engine.set_pins(opt.pins.get(), s, train.X);  // the hard pins again
      });
  if (final_state != nullptr) *final_state = std::move(st);
  return r;
}

TrainResult train_sheaf_fixed(Network& net, const Dataset& train, const Dataset* test, const SheafTrainOptions& opt,
                              const FixedConfig& cfg, const TrainProgress& progress, FixedRunInfo* info,
                              SheafState* final_state, const FixedStepperFactory& make_stepper) {
  cfg.validate();
  FixedProblem q = quantise_problem(net, train, cfg);  // input saturations counted in q.loads
  FixedNetwork& fnet = q.net;
  FixedCounters& loads = q.loads;
  const IMatrix &X = q.X, &Y = q.Y;
  const Dataset pinned{to_float(X, cfg.stalk), to_float(Y, cfg.stalk)};
  const Matrix& Xf = pinned.X;
  // Initial stalks: drawn (or computed by the forward pass) in float from the
  // quantised network, then quantised.
  Rng rng(opt.seed);
  FixedState st = to_fixed(make_state(to_float(fnet, cfg), Xf, opt.init, rng, false), cfg, loads);
  std::unique_ptr<FixedStepper> engine = make_fixed_stepper(make_stepper, fnet, train.size(), cfg, loads);
  engine->set_pins(opt.pins.get(), st, X);  // quantised with cfg (docs/fixed-point.md §4.3)
  TrainResult r = run_schedule(
      *engine, fnet, st, X, Y, train, pinned, test, opt, progress,
      [&cfg](const FixedNetwork& n, const FixedState& s, Network& fn, SheafState& fs) {
        fn = to_float(n, cfg);
        fs = to_float(s, cfg);
      },
      [&](FixedNetwork& n, FixedState& s) {
        SheafState f = to_float(s, cfg);
        set_to_forward(to_float(n, cfg), Xf, f);
        s = to_fixed(f, cfg, engine->counters());
        engine->set_pins(opt.pins.get(), s, X);  // the hard pins again
      });
  net = to_float(fnet, cfg);
  if (info != nullptr) *info = engine->run_info();
  if (final_state != nullptr) *final_state = to_float(st, cfg);
  return r;
}

}  // namespace sheafsim
