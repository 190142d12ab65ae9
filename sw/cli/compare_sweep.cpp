// `sheafsim compare --sweep`: one float reference and a grid of fixed-point
// runs of the same problem, each independent and seeded like a single run, on
// --jobs worker threads; sweep.csv holds one row per point in grid order, so
// the file is the same for any number of jobs.
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "commands.h"
#include "compare_cli.h"
#include "console.h"
#include "sheafsim/analysis/compare_report.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/file_io.h"
#include "sheafsim/analysis/sweep.h"
#include "sheafsim/analysis/sweep_select.h"

namespace sheafsim::cli {

namespace {

struct PointResult {
  TrainResult r;
  std::uint64_t saturations = 0, lost_updates = 0;
};

// Not applicable (a regression's accuracy) or not finite (a diverged run): an empty
// field, as JSON has null (docs/reports.md).
std::string csv_num(double v) { return std::isfinite(v) ? fmt::format("{:.17g}", v) : std::string(); }

// The loss the summary judges: test when there is a test set, else train.
double judged_loss(const TrainResult& r, bool test) {
  const TrainPoint& p = r.history.back();
  return test ? p.test.loss : p.train.loss;
}

bool diverged(const TrainResult& r) {
  for (const TrainPoint& p : r.history)
    if (!std::isfinite(p.train.loss)) return true;
  return false;
}

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
  // The SystemC kernel is not thread-safe: the mesh runs one point at a time.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  unsigned jobs = o.jobs > 0 ? static_cast<unsigned>(o.jobs) : cores;
  if (s.systemc && jobs > 1) {
    if (o.jobs > 1) warn("--engine systemc runs the sweep points one at a time (the SystemC kernel is not thread-safe)");
    jobs = 1;
  }
  const size_t n = grid.size();
  jobs = static_cast<unsigned>(std::min<size_t>(jobs, n + 1));

  // Task 0 is the float reference, task i the grid point i - 1.
  TrainResult reference;
  std::vector<PointResult> results(n);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex m;
  size_t points_done = 0;
  // Counts grid points; the float reference (task 0) is named when it ends, not counted.
  ProgressLine progress(fmt::format("compare sweep ({}, {} job{})", o.engine, jobs, jobs == 1 ? "" : "s"),
                        static_cast<long>(n), "points");
  const auto t0 = std::chrono::steady_clock::now();
  auto work = [&] {
    for (;;) {
      const size_t task = next++;
      if (task > n || failed) return;
      try {
        if (task == 0) {
          Network net = s.net;
          reference = train_sheaf(net, s.train, s.test_set(), s.opt);
        } else {
          Network net = s.net;
          FixedRunInfo info;
          std::shared_ptr<mesh::MeshEngine> engine;
          PointResult& pr = results[task - 1];
          pr.r = train_sheaf_fixed(net, s.train, s.test_set(), s.opt, cfgs[task - 1], {}, &info, nullptr,
                                   compare_stepper(o, &engine));
          pr.saturations = info.counters.total_saturations();
          pr.lost_updates = info.counters.total_lost_updates();
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(m);
        if (!error) error = std::current_exception();
        failed = true;
        return;
      }
      std::lock_guard<std::mutex> lock(m);
      if (task > 0) ++points_done;
      progress.update(static_cast<long>(points_done),
                      task == 0 ? "float reference done" : "last " + point_name(grid[task - 1]));
    }
  };
  if (jobs <= 1) {
    work();
  } else {
    std::vector<std::thread> pool;
    for (unsigned i = 0; i < jobs; ++i) pool.emplace_back(work);
    for (std::thread& t : pool) t.join();
  }
  progress.finish();
  if (error) std::rethrow_exception(error);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const bool has_test = s.test.size() > 0;
  if (const std::string msg = divergence_message(reference, "the float reference"); !msg.empty()) warn(msg);
  std::vector<SweepOutcome> outcomes;
  std::string csv =
      "point,stalk,weight,bias,residual,constant,acc_bits,round,overflow,word_length_bits,"
      "float_train_loss,fixed_train_loss,float_test_loss,fixed_test_loss,"
      "float_train_accuracy,fixed_train_accuracy,float_test_accuracy,fixed_test_accuracy,"
      "loss_relative_gap,saturations,lost_updates,diverged\n";
  const TrainPoint& f = reference.history.back();
  size_t diverged_points = 0;
  for (size_t i = 0; i < n; ++i) {
    const FixedConfig& c = cfgs[i];
    const TrainPoint& x = results[i].r.history.back();
    const double gap = relative_gap(judged_loss(results[i].r, has_test), judged_loss(reference, has_test));
    const bool div = diverged(results[i].r);
    diverged_points += div ? 1 : 0;
    outcomes.push_back({word_length_bits(c), fx::to_string(c.quant), judged_loss(reference, has_test),
                        judged_loss(results[i].r, has_test)});
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
                         {"float_test_accuracy", final_metrics(reference)["test_accuracy"]},
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
                            {"tasks", {{s.task, task}}},
                            {"jobs", jobs},
                            {"wall_time_s", wall}};

  std::string plots;
  if (!o.out.empty()) {
    std::filesystem::create_directories(o.out);
    write_text_file(o.out + "/sweep.csv", csv);
    write_json(o.out + "/summary.json", summary);
    if (!o.no_plots) plots = run_plots(o.out);
  }
  std::vector<StatRow> rows = {{"engine", o.engine},
                               {"layers", fmt::format("{}", fmt::join(s.net.layers, ","))},
                               {"train_samples", fmt::format("{}", s.train.size())},
                               {"test_samples", fmt::format("{}", s.test.size())},
                               {"steps", fmt::format("{}", s.opt.steps)},
                               {"points", fmt::format("{}", n)},
                               {"jobs", fmt::format("{}", jobs)},
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
  rows.push_back({"wall_time_s", num(wall)});
  if (!o.out.empty()) {
    rows.push_back({"sweep_csv", o.out + "/sweep.csv"});
    rows.push_back({"summary", o.out + "/summary.json"});
    if (!plots.empty()) rows.push_back({"figures", plots});
  }
  print_statistics("sheafsim compare --sweep", rows);
}

}  // namespace sheafsim::cli
