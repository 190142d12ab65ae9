#include "sheafsim/run/train_run.h"

#include <cmath>

#include "sheafsim/bitacc/arith_fixed.h"
#include "sheafsim/bitacc/sgd_datapath.h"
#include "sheafsim/train/report_json.h"

namespace sheafsim {

namespace {

using json = nlohmann::json;

json metrics_json(const Metrics& m) {
  auto maybe = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  return {{"cross_entropy", maybe(m.loss)}, {"accuracy", maybe(m.accuracy)}};
}

// The fixed-point sheaf run; with compare_float the float reference of the same request too.
void train_fixed(const TrainSpec& s, const TrainProgress& progress, TrainRun& run, SheafState& state) {
  const Network start = run.net;
  const Dataset* test = s.data.test_set();
  FixedRunInfo info;
  run.result = train_sheaf_fixed(run.net, s.data.train, test, s.sheaf, s.formats, progress, &info, &state, s.stepper);
  run.fixed = info;
  if (!s.compare_float) return;
  Network ref = start;
  SheafState ref_state;
  const TrainResult rf = train_sheaf(ref, s.data.train, test, s.sheaf, {}, &ref_state);
  FloatComparison c;
  c.float_train_loss = rf.history.back().train.loss;
  c.fixed_train_loss = run.result.history.back().train.loss;
  c.train_loss_relative_gap = (c.fixed_train_loss - c.float_train_loss) / c.float_train_loss;
  c.float_test_loss = rf.history.back().test.loss;
  c.weights = weight_difference(run.net, ref);
  c.stalks = stalk_difference(state, ref_state);
  run.vs_float = c;
}

SidSummary train_sid_run(const TrainSpec& s, const TrainProgress& progress, TrainRun& run) {
  const SidOptions& opt = s.sid;
  SidModel model = SidModel::from_network(run.net, opt.modules, opt.hidden, opt.seed);
  SidSummary r;
  run.result = train_sid(model, s.data.train, s.data.test_set(), opt, progress, &r.macs);
  r.settings = {{"lr", opt.lr},
                {"sid_alpha", opt.alpha},
                {"sid_smoothing", opt.smoothing},
                {"sid_modules", opt.modules},
                {"sid_hidden", model.hidden},
                {"seed", opt.seed}};
  r.extractor.assign(run.net.layers.begin(), run.net.layers.end() - 1);
  r.features = model.features;
  r.classes = model.classes;
  r.modules = static_cast<int>(model.modules.size());
  r.hidden = model.hidden;
  r.parameters = model.num_parameters();
  r.per_module_train = evaluate_per_module(model, s.data.train);
  if (s.data.test_set() != nullptr) r.per_module_test = evaluate_per_module(model, s.data.test);
  r.per_module_test.resize(r.per_module_train.size());
  return r;
}

json sid_json(const SidSummary& s) {
  json modules = json::array();
  for (size_t k = 0; k < s.per_module_train.size(); ++k)
    modules.push_back({{"module", k + 1},
                       {"train", metrics_json(s.per_module_train[k])},
                       {"test", metrics_json(s.per_module_test[k])}});
  return {{"architecture",
           {{"extractor_layers", s.extractor},
            {"features", s.features},
            {"classes", s.classes},
            {"modules", s.modules},
            {"hidden", s.hidden},
            {"parameters", s.parameters}}},
          {"loss", "sum_k alpha KL(y~ || p_k) + (1 - alpha) KL(t_{k-1} || p_k), forward KL"},
          {"per_step",
           {{"synapse_macs", s.macs.total()},
            {"synapse_macs_extractor_forward", s.macs.extractor_forward},
            {"synapse_macs_phase1_teacher_beliefs", s.macs.phase1},
            {"synapse_macs_phase2_local_updates", s.macs.phase2},
            {"synapse_macs_extractor_backward", s.macs.extractor_backward},
            {"softmax_evaluations", s.macs.softmax_evaluations}}},
          {"per_module_final", modules}};
}

}  // namespace

void check_fixed_training(const FixedConfig& cfg, const SheafTrainOptions& opt, const std::vector<int>& layers,
                          Eigen::Index n_train, const std::function<void(const std::string&)>& warn) {
  if (auto w = accumulator_warning(cfg, layers, static_cast<long>(n_train))) warn(*w);
  quantize_constant(opt.alpha * opt.dt, cfg, "alpha*dt");  // fail before the run, not in it
  quantize_constant(effective_beta(opt, n_train) * opt.dt, cfg, "beta*dt");
}

void check_fixed_sgd(const FixedConfig& cfg, const SgdOptions& opt, const Network& net, Eigen::Index n_train,
                     const std::function<void(const std::string&)>& warn) {
  if (auto w = accumulator_warning(cfg, net.layers, static_cast<long>(n_train))) warn(*w);
  sgd::step_constant(opt.lr, net.output, net.layers.back(), static_cast<long>(n_train), cfg);
}

std::uint64_t update_writes(const TrainSpec& s, const TrainRun& run) {
  const auto B = static_cast<std::uint64_t>(s.data.train.size());
  if (s.method != "sgd") return update_register_writes(run.net.layers, B, run.result);
  std::uint64_t params = 0;
  for (size_t l = 1; l < run.net.layers.size(); ++l)
    params += static_cast<std::uint64_t>(run.net.layers[l]) * static_cast<std::uint64_t>(run.net.layers[l - 1] + 1);
  return params * static_cast<std::uint64_t>(run.result.steps);
}

TrainRun run_train(const TrainSpec& s, const TrainProgress& progress) {
  TrainRun run;
  run.net = s.data.net;
  const Dataset& train = s.data.train;
  if (s.method == "sheaf") {
    SheafState state;
    Dataset pinned = train;  // the data the engine pins (quantised in fixed point)
    if (!s.fixed) {
      run.result = train_sheaf(run.net, train, s.data.test_set(), s.sheaf, progress, &state);
    } else {
      train_fixed(s, progress, run, state);
      // The fixed model pins the quantised data; its discord is measured against that.
      FixedCounters already_counted;  // the trainer counted these saturations in the run's info
      already_counted.resize(run.net.depth());
      pinned = pinned_values(train, s.formats, already_counted);
    }
    run.discord = discord(run.net, state, pinned.X, &pinned.Y, Phase::Training);
  } else if (s.method == "sid") {
    run.sid = train_sid_run(s, progress, run);
  } else if (s.fixed) {
    FixedRunInfo info;
    run.result = train_sgd_fixed(run.net, train, s.data.test_set(), s.sgd, s.formats, progress, &info, s.sgd_stepper);
    run.fixed = info;
  } else {
    run.result = train_sgd(run.net, train, s.data.test_set(), s.sgd, progress);
  }
  return run;
}

json to_json(const TrainSpec& s, const TrainRun& run) {
  json settings = run.sid ? run.sid->settings : s.settings;
  settings["steps"] = s.steps;
  settings["log_every"] = s.log_every;
  const Network& net = run.net;
  json j = {{"command", "train"},
            {"method", s.method},
            {"network", {{"source", s.data.net_source}, {"layers", net.layers}, {"output", to_string(net.output)}}},
            {"data", s.data.data_source},
            {"n_train", s.data.train.size()},
            {"n_test", s.data.test.size()},
            {"settings", settings}};
  j["arith"] = s.fixed ? "fixed" : "float";
  if (run.fixed) {
    json f = fixed_json(*run.fixed, update_writes(s, run));
    if (s.method == "sgd") {  // no stalk constant; eta is -lr * gradient scale (docs/fixed-point.md §4.2)
      f["s_used"] = nullptr;
      f["s_raw"] = nullptr;
      f["eta_meaning"] = "-lr * gradient scale";
    }
    if (run.vs_float) {
      const FloatComparison& c = *run.vs_float;
      f["compare_float"] = {{"float_train_loss", c.float_train_loss},
                            {"fixed_train_loss", c.fixed_train_loss},
                            {"train_loss_relative_gap", c.train_loss_relative_gap},
                            {"float_test_loss", c.float_test_loss},
                            {"weights", to_json(c.weights)},
                            {"stalks", to_json(c.stalks)}};
    }
    j["fixed"] = f;
  }
  j.update(to_json(run.result));
  if (run.sid) j["sid"] = sid_json(*run.sid);
  if (run.discord) j["discord"] = to_json(*run.discord);
  return j;
}

}  // namespace sheafsim
