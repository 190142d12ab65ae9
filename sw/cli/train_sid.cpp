#include "train_sid.h"

#include <cmath>

#include <fmt/format.h>

#include "sheafsim/base/error.h"
#include "sheafsim/train/sid_trainer.h"

namespace sheafsim::cli {

namespace {

nlohmann::json metrics_json(const Metrics& m) {
  auto maybe = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"cross_entropy", maybe(m.loss)}, {"accuracy", maybe(m.accuracy)}};
}

}  // namespace

SidRun run_sid_training(const TrainOpts& o, const Network& net, const Dataset& train, const Dataset* test,
                        const TrainProgress& progress) {
  if (!o.out_net.empty())
    throw InputError("--out-net writes an MLP network file; --method sid trains an extractor and a module cascade "
                     "that it cannot hold (use --report)");
  SidOptions opt;
  opt.lr = o.lr;
  opt.alpha = o.sid_alpha;
  opt.smoothing = o.sid_smoothing;
  opt.modules = o.sid_modules;
  opt.hidden = o.sid_hidden;
  opt.steps = o.steps;
  opt.log_every = o.log_every;
  opt.seed = o.seed;
  validate(opt);
  SidModel model = SidModel::from_network(net, opt.modules, opt.hidden, opt.seed);
  SidRun run;
  SidMacCount macs;
  run.result = train_sid(model, train, test, opt, progress, &macs);
  run.settings = {{"lr", opt.lr},
                  {"sid_alpha", opt.alpha},
                  {"sid_smoothing", opt.smoothing},
                  {"sid_modules", opt.modules},
                  {"sid_hidden", model.hidden},
                  {"seed", opt.seed}};

  std::vector<int> extractor(net.layers.begin(), net.layers.end() - 1);
  const std::vector<Metrics> per_train = evaluate_per_module(model, train);
  const std::vector<Metrics> per_test = test != nullptr ? evaluate_per_module(model, *test) : std::vector<Metrics>{};
  nlohmann::json modules = nlohmann::json::array();
  std::vector<std::string> test_acc;
  for (size_t k = 0; k < per_train.size(); ++k) {
    const Metrics t = k < per_test.size() ? per_test[k] : Metrics{};
    modules.push_back({{"module", k + 1}, {"train", metrics_json(per_train[k])}, {"test", metrics_json(t)}});
    test_acc.push_back(num(t.accuracy));
  }
  run.report = {{"architecture",
                 {{"extractor_layers", extractor},
                  {"features", model.features},
                  {"classes", model.classes},
                  {"modules", static_cast<int>(model.modules.size())},
                  {"hidden", model.hidden},
                  {"parameters", model.num_parameters()}}},
                {"loss", "sum_k alpha KL(y~ || p_k) + (1 - alpha) KL(t_{k-1} || p_k), forward KL"},
                {"per_step",
                 {{"synapse_macs", macs.total()},
                  {"synapse_macs_extractor_forward", macs.extractor_forward},
                  {"synapse_macs_phase1_teacher_beliefs", macs.phase1},
                  {"synapse_macs_phase2_local_updates", macs.phase2},
                  {"synapse_macs_extractor_backward", macs.extractor_backward},
                  {"softmax_evaluations", macs.softmax_evaluations}}},
                {"per_module_final", modules}};
  run.rows = {{"sid_architecture", fmt::format("phi {} + {} modules ({}+{} -> {} -> {}), {} parameters",
                                               fmt::join(extractor, ","), model.modules.size(), model.features,
                                               model.classes, model.hidden, model.classes, model.num_parameters())},
              {"sid_synapse_macs_per_training_step", fmt::format("{}", macs.total())},
              {"sid_test_accuracy_per_module", fmt::format("{}", fmt::join(test_acc, ","))}};
  return run;
}

}  // namespace sheafsim::cli
