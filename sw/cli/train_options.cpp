#include "train_options.h"

#include <cmath>

#include <fmt/format.h>

#include "console.h"
#include "option_rules.h"
#include "pins_options.h"
#include "sheafsim/base/error.h"
#include "sheafsim/reference/settings.h"
#include "sheafsim/reference/tasks.h"

namespace sheafsim::cli {

SheafTrainOptions make_sheaf_options(const TrainOpts& o, const Network& net, Eigen::Index n_train,
                                     nlohmann::json& settings) {
  SheafTrainOptions opt;
  opt.alpha = o.alpha;
  opt.dt = o.dt;
  opt.beta = o.beta;
  if (!std::isnan(o.beta)) require_non_negative(o.beta, "--beta");
  opt.pins = load_pins(o.pins, net, PinUse::Training);  // the step size counts the soft pulls
  if (auto w = check_step_size(net, o.alpha, o.dt, net.output == OutputKind::Identity, soft_pull(opt.pins))) warn(*w);
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
              {"log_every", o.log_every},
              {"pins", pins_setting(o.pins, opt.pins)}};
  return opt;
}

void check_train_options(TrainOpts& o, const CLI::App& sub) {
  const std::string cmd = sub.get_name();
  const bool has_method = sub.get_option_no_throw("--method") != nullptr;
  // --seed, the old name of the stalk seed (sid: of the modules' initialisation).
  const std::string target = o.method == "sid" ? "--sid-seed" : "--stalk-seed";
  if (sub.count("--seed") > 0) {
    if (typed(sub, "--seed") && typed(sub, target))
      throw InputError(fmt::format("give {} or its deprecated alias --seed, not both", target));
    if (typed(sub, "--seed") || sub.count(target) == 0) (o.method == "sid" ? o.sid_seed : o.seed) = o.seed_alias;
  }
  // The network and the data: a file, or what generates one.
  if (!o.net.empty())
    refuse_typed(sub, {"--output", "--weight-seed"},
                 "goes with --layers (initialise a network); the network file --net holds its own output and weights");
  if (!o.data.empty())
    refuse_typed(sub, {"--n-train", "--n-test", "--data-seed"},
                 "goes with --task (generate the data); with --data FILE the samples are the file's rows");
  if (!o.digits_file.empty() && (o.task.empty() || parse_task(o.task) != Task::Digits)) {
    refuse_typed(sub, {"--digits-file"}, "goes with --task digits");
    o.digits_file.clear();  // from --config: named in a warning, not used
  }
  // The method's settings.
  const std::initializer_list<const char*> sheaf_only = {"--alpha", "--beta", "--dt", "--inner", "--stalk-init",
                                                         "--reinit", "--epoch-steps", "--stalk-seed"};
  const std::initializer_list<const char*> sid_only = {"--sid-alpha", "--sid-smoothing", "--sid-modules",
                                                       "--sid-hidden", "--sid-seed"};
  if (has_method) {
    if (o.method == "sheaf") {
      refuse_typed(sub, {"--lr"}, "belongs to --method sgd or sid (sheaf training steps with --alpha, --dt, --beta)");
      refuse_typed(sub, sid_only, "belongs to --method sid");
    } else if (o.method == "sgd" || o.method == "sid") {
      refuse_typed(sub, sheaf_only, fmt::format("belongs to --method sheaf (--method {} steps with --lr)", o.method));
      if (o.method == "sgd") refuse_typed(sub, sid_only, "belongs to --method sid");
      if (o.method == "sgd" && typed(sub, "--seed"))
        deferred_warning("--seed: --method sgd draws no random numbers (full-batch gradient descent); ignored");
    }
    if (o.method == "sheaf" || o.method == "sgd" || o.method == "sid") refuse_fixed_options_when_float(o.fx, sub);
  }
  // simulate --mode infer relaxes the stalks of the data's inputs: nothing trains.
  if (cmd == "simulate" && o.mesh.mode == "infer")
    refuse_typed(sub, {"--beta", "--inner", "--reinit", "--epoch-steps", "--log-every", "--out-net", "--test",
                       "--n-test", "--compare-float"},
                 "applies to --mode train (simulate --mode infer relaxes the stalks of the data's inputs)");
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
