#include "sheafsim/analysis/compare_report.h"

#include <cmath>

#include <fmt/format.h>

#include "sheafsim/train/report_json.h"
#include "sheafsim/analysis/sweep_select.h"

namespace sheafsim {

namespace {

using json = nlohmann::json;

json json_num(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json range_json(const ValueRange& r) {
  if (r.empty()) return {{"min", nullptr}, {"max", nullptr}};
  return {{"min", r.min}, {"max", r.max}};
}

// Not applicable (a regression's accuracy) or not finite (a diverged run): an empty
// field, as JSON has null (docs/reports.md).
std::string csv_num(double v) { return std::isfinite(v) ? fmt::format("{:.17g}", v) : std::string(); }

bool diverged(const TrainResult& r) {
  for (const TrainPoint& p : r.history)
    if (!std::isfinite(p.train.loss)) return true;
  return false;
}

std::uint64_t count(const std::array<std::vector<std::uint64_t>, kFxClasses>& a, FxClass cls, int layer) {
  const auto& v = a[static_cast<size_t>(cls)];
  return static_cast<size_t>(layer - 1) < v.size() ? v[static_cast<size_t>(layer - 1)] : std::uint64_t{0};
}

// The finding of a quantity whose format clips or wastes integer bits.
void add_finding(const QuantityCheck& q, int layer, std::vector<FormatFinding>& findings) {
  const fx::FixedFormat& f = q.format;
  const RangeVerdict& v = q.verdict;
  const std::string where = fmt::format("layer{}_{}", layer, to_string(q.quantity));
  const std::string holds =
      fmt::format("{} holds [{}, {}]", f.str(), short_number(f.min_value()), short_number(f.max_value()));
  if (v.clips)
    findings.push_back({where,
                        fmt::format("clips: {}, float reaches [{}, {}], {} saturations", holds,
                                    short_number(q.float_range.min), short_number(q.float_range.max), q.saturations),
                        true});
  else if (v.unused_int_bits > 0)
    findings.push_back({where, fmt::format("{}: {}, max |value| {} fits Q{}.{}", v.label(), holds,
                                           short_number(q.float_range.max_abs()), v.needed_int_bits, f.frac_bits)});
}

json layer_json(const LayerCheck& l) {
  json sat, lost, quantities;
  for (size_t cls = 0; cls < kFxClasses; ++cls) {
    sat[to_string(static_cast<FxClass>(cls))] = l.saturations[cls];
    lost[to_string(static_cast<FxClass>(cls))] = l.lost_updates[cls];
  }
  for (const QuantityCheck& q : l.quantities) {
    const fx::FixedFormat& f = q.format;
    const RangeVerdict& v = q.verdict;
    quantities[to_string(q.quantity)] = {
        {"format", f.str()},           {"format_min", f.min_value()},
        {"format_max", f.max_value()}, {"float", range_json(q.float_range)},
        {"fixed", range_json(q.fixed_range)}, {"saturations", q.saturations},
        {"lost_updates", q.lost_updates}, {"verdict", v.label()},
        {"clips", v.clips},            {"needed_int_bits", v.needed_int_bits},
        {"unused_int_bits", v.unused_int_bits}, {"max_abs_diff", json_num(q.max_abs_diff)},
        {"max_rel_rms_diff", json_num(q.max_rel_rms)}};
  }
  return {{"layer", l.layer}, {"saturations", sat}, {"lost_updates", lost}, {"quantities", quantities}};
}

}  // namespace

CompareSummary summarize(const CompareRun& run, const FixedConfig& cfg) {
  const FixedCounters& c = run.info.counters;
  CompareSummary s;
  for (int k = 1; k <= run.fixed_net.depth(); ++k) {
    LayerCheck l;
    l.layer = k;
    for (size_t cls = 0; cls < kFxClasses; ++cls) {
      l.saturations[cls] = count(c.saturations, static_cast<FxClass>(cls), k);
      l.lost_updates[cls] = count(c.lost_updates, static_cast<FxClass>(cls), k);
    }
    for (const QuantityRanges& r : run.ranges) {
      if (r.layer != k) continue;
      QuantityCheck q;
      q.quantity = r.quantity;
      q.format = format_of(r.quantity, cfg);
      q.float_range = r.float_range;
      q.fixed_range = r.fixed_range;
      q.saturations = count(c.saturations, counter_class(r.quantity), k);
      q.lost_updates = count(c.lost_updates, counter_class(r.quantity), k);
      q.verdict = assess_range(r.float_range, q.format, q.saturations);
      q.max_abs_diff = r.max_abs_diff;
      q.max_rel_rms = r.max_rel_rms;
      double& w = s.worst_abs_diff[static_cast<size_t>(r.quantity)];
      if (std::isnan(r.max_abs_diff) || r.max_abs_diff > w) w = r.max_abs_diff;
      add_finding(q, k, s.findings);
      l.quantities.push_back(q);
    }
    s.layers.push_back(std::move(l));
  }
  const TrainPoint& lf = run.float_result.history.back();
  const TrainPoint& lx = run.fixed_result.history.back();
  s.train_loss_relative_gap = relative_gap(lx.train.loss, lf.train.loss);
  s.test_loss_relative_gap = relative_gap(lx.test.loss, lf.test.loss);
  s.float_diverged = diverged(run.float_result);
  s.fixed_diverged = diverged(run.fixed_result);
  return s;
}

json final_metrics(const TrainResult& r) {
  const TrainPoint& p = r.history.back();
  return {{"train_loss", json_num(p.train.loss)},
          {"test_loss", json_num(p.test.loss)},
          {"train_accuracy", json_num(p.train.accuracy)},
          {"test_accuracy", json_num(p.test.accuracy)}};
}

json to_json(const CompareRun& run, const CompareSummary& s) {
  json layers = json::array(), findings = json::array();
  for (const LayerCheck& l : s.layers) layers.push_back(layer_json(l));
  for (const FormatFinding& f : s.findings) findings.push_back(f.where + ": " + f.text);
  const size_t per_sample = traced_quantities(run.fixed_net.depth()).size();
  return {{"fixed", run.info.to_json()},
          {"trace_samples", run.trace.empty() ? 0 : run.trace.size() / per_sample},
          {"final",
           {{"float", final_metrics(run.float_result)},
            {"fixed", final_metrics(run.fixed_result)},
            {"train_loss_relative_gap", json_num(s.train_loss_relative_gap)},
            {"test_loss_relative_gap", json_num(s.test_loss_relative_gap)}}},
          {"diverged", {{"float", s.float_diverged}, {"fixed", s.fixed_diverged}}},
          {"layers", layers},
          {"findings", findings},
          {"wall_time_s", {{"float", run.float_result.wall_s}, {"fixed", run.fixed_result.wall_s}}}};
}

std::string trace_csv(const CompareRun& run, const FixedConfig& cfg) {
  std::string out =
      "step,layer,quantity,format,max_abs_diff,rms_diff,rel_rms_diff,float_min,float_max,fixed_min,fixed_max\n";
  for (const TraceRow& r : run.trace)
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{}\n", r.step, r.layer, to_string(r.quantity),
                       format_of(r.quantity, cfg).str(), csv_num(r.diff.max_abs), csv_num(r.diff.rms),
                       csv_num(r.rel_rms), csv_num(r.float_range.min), csv_num(r.float_range.max),
                       csv_num(r.fixed_range.min), csv_num(r.fixed_range.max));
  return out;
}

}  // namespace sheafsim
