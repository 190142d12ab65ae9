#include "train_options.h"

#include <cmath>

#include <fmt/format.h>

#include "console.h"
#include "sheafsim/base/error.h"
#include "sheafsim/reference/settings.h"

namespace sheafsim::cli {

SheafTrainOptions make_sheaf_options(const TrainOpts& o, const Network& net, Eigen::Index n_train,
                                     nlohmann::json& settings) {
  SheafTrainOptions opt;
  opt.alpha = o.alpha;
  opt.dt = o.dt;
  opt.beta = o.beta;
  if (!std::isnan(o.beta)) require_non_negative(o.beta, "--beta");
  if (auto w = check_step_size(net, o.alpha, o.dt, net.output == OutputKind::Identity)) warn(*w);
  require_count(o.steps, "--steps", 0, 1000000000);
  require_count(o.log_every, "--log-every", 1, 1000000000);
  require_count(o.inner, "--inner", 1, 1000000);
  require_count(o.epoch_steps, "--epoch-steps", 1, 1000000000);
  opt.steps = o.steps;
  opt.inner = o.inner;
  // As `train` (sheaf-math.md §7.2): regression starts from random stalks and
  // keeps them; classification starts from the forward pass and resets to it
  // every epoch.
  const bool cls = is_classification(net.output);
  opt.init = o.stalk_init == "auto" ? (cls ? StalkInit::Forward : StalkInit::Random) : parse_stalk_init(o.stalk_init);
  if (o.reinit != "auto" && o.reinit != "never" && o.reinit != "epoch")
    throw InputError(fmt::format("unknown --reinit '{}' (expected auto, never or epoch)", o.reinit));
  opt.reinit_each_epoch = o.reinit == "epoch" || (o.reinit == "auto" && cls);
  opt.epoch_steps = o.epoch_steps;
  opt.seed = o.seed;
  opt.log_every = o.log_every;
  settings = {{"alpha", o.alpha},
              {"beta", effective_beta(opt, n_train)},
              {"dt", o.dt},
              {"inner", o.inner},
              {"stalk_init", to_string(opt.init)},
              {"reinit_each_epoch", opt.reinit_each_epoch},
              {"epoch_steps", o.epoch_steps},
              {"seed", o.seed},
              {"steps", o.steps},
              {"log_every", o.log_every}};
  return opt;
}

std::string divergence_message(const TrainResult& r, const std::string& run) {
  for (const TrainPoint& p : r.history) {
    if (std::isfinite(p.train.loss)) continue;
    const std::string when = p.step == 0 ? "at the start" : fmt::format("by step {}", p.step);
    return fmt::format("{} diverged: the training loss is not finite {} (the final losses read n/a); "
                       "reduce --dt or --beta",
                       run, when);
  }
  return {};
}

}  // namespace sheafsim::cli
