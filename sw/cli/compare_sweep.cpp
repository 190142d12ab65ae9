// `sheafsim compare --sweep`: one float reference and a grid of fixed-point
// runs of the same problem, each independent and seeded like a single run.
// The runs are tasks of a farm (sheafsim/farm/task_farm.h): --jobs threads of
// one process, or the ranks of `mpirun -n N`; each task's result is JSON text,
// checkpointed in OUT/checkpoint as it arrives (--resume OUT continues), and
// sweep.csv holds one row per point in grid order, so every output file is
// the same for any number of jobs or ranks.
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "commands.h"
#include "compare_cli.h"
#include "console.h"
#include "farm_run.h"
#include "sheafsim/analysis/compare_report.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/file_io.h"
#include "sheafsim/analysis/sweep.h"
#include "sheafsim/analysis/sweep_select.h"

namespace sheafsim::cli {

namespace {

// What sweep.csv and summary.json need of one run: the final losses and
// accuracies (JSON null for non-finite: csv_num writes both as empty), the
// counters and whether it diverged. The float reference (task 0) adds its test
// accuracy as reported and its divergence warning.
struct PointResult {
  TrainPoint last;
  bool diverged = false;
  std::uint64_t saturations = 0, lost_updates = 0;
  nlohmann::json test_accuracy_final;
  std::string divergence;
};

// Not applicable (a regression's accuracy) or not finite (a diverged run): an empty
// field, as JSON has null (docs/reports.md).
std::string csv_num(double v) { return std::isfinite(v) ? fmt::format("{:.17g}", v) : std::string(); }

nlohmann::json finite_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }
double number_or_nan(const nlohmann::json& j) { return j.is_number() ? j.get<double>() : kNaN; }

std::string encode(const TrainResult& r, std::uint64_t saturations, std::uint64_t lost_updates, bool reference) {
  const TrainPoint& p = r.history.back();
  bool div = false;
  for (const TrainPoint& h : r.history) div = div || !std::isfinite(h.train.loss);
  nlohmann::json j = {{"train_loss", finite_or_null(p.train.loss)}, {"test_loss", finite_or_null(p.test.loss)},
                      {"train_accuracy", finite_or_null(p.train.accuracy)},
                      {"test_accuracy", finite_or_null(p.test.accuracy)},
                      {"diverged", div}, {"saturations", saturations}, {"lost_updates", lost_updates}};
  if (reference) {
    j["test_accuracy_final"] = final_metrics(r)["test_accuracy"];
    j["divergence"] = divergence_message(r, "the float reference");
  }
  return j.dump();
}

PointResult decode(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text);
  PointResult r;
  r.last.train.loss = number_or_nan(j.at("train_loss"));
  r.last.test.loss = number_or_nan(j.at("test_loss"));
  r.last.train.accuracy = number_or_nan(j.at("train_accuracy"));
  r.last.test.accuracy = number_or_nan(j.at("test_accuracy"));
  r.diverged = j.at("diverged").get<bool>();
  r.saturations = j.at("saturations").get<std::uint64_t>();
  r.lost_updates = j.at("lost_updates").get<std::uint64_t>();
  r.test_accuracy_final = j.value("test_accuracy_final", nlohmann::json());
  r.divergence = j.value("divergence", std::string());
  return r;
}

// The loss the summary judges: test when there is a test set, else train.
double judged_loss(const PointResult& r, bool test) { return test ? r.last.test.loss : r.last.train.loss; }

std::string point_name(const SweepPoint& p) {
  std::string s;
  for (const auto& [k, v] : p) s += (s.empty() ? "" : ",") + k + "=" + v;
  return s;
}

nlohmann::json config_json(const FixedConfig& c) {
  return {{"stalk", c.stalk.str()},       {"weight", c.weight.str()},     {"bias", c.bias.str()},
          {"residual", c.residual.str()}, {"constant", c.constant.str()}, {"acc_bits", c.acc_bits},
          {"round", fx::to_string(c.quant)}, {"overflow", fx::to_string(c.overflow)}};
}

}  // namespace

void run_sweep(const CompareOpts& o, const CompareSetup& s) {
  const SweepSpec spec = parse_sweep(o.sweep);
  const std::vector<SweepPoint> grid = sweep_grid(spec);
  std::vector<FixedConfig> cfgs;
  for (const SweepPoint& p : grid) {
    cfgs.push_back(apply_sweep_point(s.cfg, p));
    try {
      cfgs.back().validate();
      quantize_constant(s.opt.alpha * s.opt.dt, cfgs.back(), "alpha*dt");
      quantize_constant(effective_beta(s.opt, s.train.size()) * s.opt.dt, cfgs.back(), "beta*dt");
    } catch (const InputError& e) {
      throw InputError(fmt::format("--sweep point {}: {}", point_name(p), e.what()));
    }
  }
  const size_t n = grid.size();
  const std::string out = o.resume.empty() ? o.out : o.resume;
  // Task 0 is the float reference, task i the grid point i - 1. The SystemC
  // kernel is process-global: one mesh at a time in a process (any number of ranks).
  const nlohmann::json fingerprint = {{"command", "compare --sweep"}, {"sweep", o.sweep},      {"engine", o.engine},
                                      {"network", s.net_source},       {"data", s.data_source}, {"settings", s.settings},
                                      {"base_fixed", config_json(s.cfg)}};
  FarmRequest req;
  req.what = "compare sweep";
  req.detail = o.engine;
  req.unit = "points";
  req.uncounted = 1;  // the float reference
  req.tasks = n + 1;
  req.jobs = o.jobs;
  req.out_dir = out;
  req.resume = !o.resume.empty();
  req.fingerprint = fingerprint.dump();
  req.exclusive = [&s](size_t) { return s.systemc; };
  req.describe = [&grid](size_t task) { return task == 0 ? std::string("float reference") : point_name(grid[task - 1]); };
  FarmOutcome farmed = run_farm_tasks(req, [&](size_t task) -> std::string {
    Network net = s.net;
    if (task == 0) return encode(train_sheaf(net, s.train, s.test_set(), s.opt), 0, 0, true);
    FixedRunInfo info;
    std::shared_ptr<mesh::MeshEngine> engine;
    const TrainResult r = train_sheaf_fixed(net, s.train, s.test_set(), s.opt, cfgs[task - 1], {}, &info, nullptr,
                                            compare_stepper(o, &engine));
    return encode(r, info.counters.total_saturations(), info.counters.total_lost_updates(), false);
  });
  if (!farmed.coordinator) return;  // a worker rank: rank 0 writes everything
  const PointResult reference = decode(farmed.results[0]);
  std::vector<PointResult> results;
  for (size_t i = 1; i <= n; ++i) results.push_back(decode(farmed.results[i]));

  const bool has_test = s.test.size() > 0;
  if (!reference.divergence.empty()) warn(reference.divergence);
  std::vector<SweepOutcome> outcomes;
  std::string csv =
      "point,stalk,weight,bias,residual,constant,acc_bits,round,overflow,word_length_bits,"
      "float_train_loss,fixed_train_loss,float_test_loss,fixed_test_loss,"
      "float_train_accuracy,fixed_train_accuracy,float_test_accuracy,fixed_test_accuracy,"
      "loss_relative_gap,saturations,lost_updates,diverged\n";
  const TrainPoint& f = reference.last;
  size_t diverged_points = 0;
  for (size_t i = 0; i < n; ++i) {
    const FixedConfig& c = cfgs[i];
    const TrainPoint& x = results[i].last;
    const double gap = relative_gap(judged_loss(results[i], has_test), judged_loss(reference, has_test));
    const bool div = results[i].diverged;
    diverged_points += div ? 1 : 0;
    outcomes.push_back({word_length_bits(c), fx::to_string(c.quant), judged_loss(reference, has_test),
                        judged_loss(results[i], has_test)});
    csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", i, c.stalk.str(),
                       c.weight.str(), c.bias.str(), c.residual.str(), c.constant.str(), c.acc_bits,
                       fx::to_string(c.quant), fx::to_string(c.overflow), word_length_bits(c), csv_num(f.train.loss),
                       csv_num(x.train.loss), csv_num(f.test.loss), csv_num(x.test.loss), csv_num(f.train.accuracy),
                       csv_num(x.train.accuracy), csv_num(f.test.accuracy), csv_num(x.test.accuracy), csv_num(gap),
                       results[i].saturations, results[i].lost_updates, div ? 1 : 0);
  }
  if (diverged_points > 0)
    warn(fmt::format("{} of {} sweep points diverged (non-finite loss; column 'diverged' of sweep.csv)",
                     diverged_points, n));

  // The smallest word length within the tolerance, overall and per rounding mode.
  auto pick = [&](const std::vector<size_t>& idx) -> nlohmann::json {
    std::vector<SweepOutcome> sub;
    for (size_t i : idx) sub.push_back(outcomes[i]);
    const auto best = smallest_within(sub, o.tolerance);
    if (!best) return nullptr;
    const size_t i = idx[*best];
    return {{"point", i},
            {"word_length_bits", outcomes[i].word_length_bits},
            {"round", outcomes[i].round},
            {"modes_within", modes_within(sub, outcomes[i].word_length_bits, o.tolerance)},
            {"settings", config_json(cfgs[i])},
            {"fixed_loss", outcomes[i].fixed_loss},
            {"loss_relative_gap", relative_gap(outcomes[i].fixed_loss, outcomes[i].float_loss)}};
  };
  std::vector<size_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = i;
  nlohmann::json per_round = nlohmann::json::object();
  std::vector<std::string> modes;
  for (const SweepOutcome& p : outcomes)
    if (std::find(modes.begin(), modes.end(), p.round) == modes.end()) modes.push_back(p.round);
  for (const std::string& mode : modes) {
    std::vector<size_t> idx;
    for (size_t i = 0; i < n; ++i)
      if (outcomes[i].round == mode) idx.push_back(i);
    per_round[mode] = pick(idx);
  }
  const nlohmann::json smallest = pick(all);
  nlohmann::json task = {{"loss", has_test ? "test" : "train"},
                         {"metric", is_classification(s.net.output) ? "cross_entropy" : "mse"},
                         {"loss_tolerance", o.tolerance},
                         {"float_loss", judged_loss(reference, has_test)},
                         {"float_test_accuracy", reference.test_accuracy_final},
                         {"points", n},
                         {"diverged_points", diverged_points},
                         {"smallest", smallest},
                         {"smallest_per_round", per_round}};
  nlohmann::json summary = {{"command", "compare --sweep"},
                            {"sweep", o.sweep},
                            {"engine", o.engine},
                            {"word_length", "stalk width + weight width, bits"},
                            {"network", {{"layers", s.net.layers}, {"output", to_string(s.net.output)}}},
                            {"data", s.data_source},
                            {"settings", s.settings},
                            {"base_fixed", config_json(s.cfg)},
                            {"tasks", {{s.task, task}}}};

  std::string plots;
  if (!out.empty()) {
    create_output_directory(out);
    write_text_file(out + "/sweep.csv", csv);
    write_json(out + "/summary.json", summary);
    write_timing(out, farmed);
    if (!o.no_plots) plots = run_plots(out);
  }
  std::vector<StatRow> rows = {{"engine", o.engine},
                               {"layers", fmt::format("{}", fmt::join(s.net.layers, ","))},
                               {"train_samples", fmt::format("{}", s.train.size())},
                               {"test_samples", fmt::format("{}", s.test.size())},
                               {"steps", fmt::format("{}", s.opt.steps)},
                               {"points", fmt::format("{}", n)},
                               {"workers", describe_workers(farmed)},
                               {fmt::format("float_{}_loss_final", has_test ? "test" : "train"),
                                num(judged_loss(reference, has_test))},
                               {"loss_tolerance", num(o.tolerance)}};
  auto describe = [](const nlohmann::json& b) {
    if (b.is_null()) return std::string("none within tolerance");
    return fmt::format("{} bits ({} {}, {}; gap {})", b["word_length_bits"].get<int>(),
                       b["settings"]["stalk"].get<std::string>(), b["settings"]["weight"].get<std::string>(),
                       b["round"].get<std::string>(), num(b["loss_relative_gap"].get<double>()));
  };
  rows.push_back({"smallest_word_length", describe(smallest)});
  for (const std::string& mode : modes) rows.push_back({"smallest_word_length_" + mode, describe(per_round[mode])});
  rows.push_back({"diverged_points", fmt::format("{}", diverged_points)});
  add_farm_rows(farmed, rows);
  if (!out.empty()) {
    rows.push_back({"sweep_csv", out + "/sweep.csv"});
    rows.push_back({"summary", out + "/summary.json"});
    rows.push_back({"timing", out + "/timing.json"});
    if (!plots.empty()) rows.push_back({"figures", plots});
  }
  print_statistics("sheafsim compare --sweep", rows);
}

}  // namespace sheafsim::cli
