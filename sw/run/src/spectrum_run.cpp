#include "sheafsim/run/spectrum_run.h"

#include <cmath>

#include "sheafsim/train/report_json.h"

namespace sheafsim {

SpectrumRun run_spectrum(const SpectrumSpec& s) {
  SpectrumRun run;
  std::vector<double> lmin, lmax, kappa, steps;
  for (Eigen::Index c = 0; c < s.data.size(); ++c) {
    const SpectrumResult r = analyse_spectrum(s.net, s.data.X.col(c), s.alpha * s.dt, s.tol, s.two_sided);
    run.samples.push_back(r);
    lmin.push_back(r.lambda_min);
    lmax.push_back(r.lambda_max);
    kappa.push_back(r.kappa);
    steps.push_back(static_cast<double>(r.predicted_steps));
  }
  run.median_lambda_min = median(lmin);
  run.median_lambda_max = median(lmax);
  run.median_kappa = median(kappa);
  run.median_predicted_steps = median(steps);
  run.lambda_max_bound = lambda_max_bound(s.net, s.two_sided);
  return run;
}

nlohmann::json to_json(const SpectrumSpec& s, const SpectrumRun& run) {
  nlohmann::json samples = nlohmann::json::array();
  // A median of step counts: an integer unless it falls between two counts; null when it does not converge.
  const double m = run.median_predicted_steps;
  const nlohmann::json median_steps = m < 0                   ? nlohmann::json(nullptr)
                                      : m == std::floor(m)    ? nlohmann::json(static_cast<std::int64_t>(m))
                                                              : nlohmann::json(m);
  for (const SpectrumResult& r : run.samples) samples.push_back(to_json(r));
  const nlohmann::json med = {{"lambda_min", run.median_lambda_min}, {"lambda_max", run.median_lambda_max},
                              {"kappa", run.median_kappa},
                              {"predicted_steps", median_steps}};
  return {{"command", "spectrum"},
          {"settings", {{"alpha", s.alpha}, {"dt", s.dt}, {"tol", s.tol}, {"two_sided", s.two_sided}}},
          {"lambda_max_bound", run.lambda_max_bound},
          {"median", med},
          {"samples", samples}};
}

}  // namespace sheafsim
