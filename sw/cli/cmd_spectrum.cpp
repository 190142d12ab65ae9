#include <fmt/format.h>

#include "commands.h"
#include "console.h"
#include "sheafsim/dataset.h"
#include "sheafsim/network_io.h"
#include "sheafsim/report_json.h"
#include "sheafsim/settings.h"
#include "sheafsim/spectrum.h"

namespace sheafsim::cli {

void register_spectrum(CLI::App& app) {
  struct Opts {
    std::string net, input, out;
    double alpha = 1.0, dt = 0.01, tol = 1e-9;
    bool two_sided = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand("spectrum", "Eigen-analysis of L_free per input: lambda_min, lambda_max, kappa, predicted steps");
  sub->add_option("--net", o->net, "Network JSON file")->required();
  sub->add_option("--input", o->input, "Input CSV")->required();
  sub->add_option("--alpha", o->alpha, "Stalk rate alpha (for the predicted steps)")->capture_default_str();
  sub->add_option("--dt", o->dt, "Euler step dt (for the predicted steps)")->capture_default_str();
  sub->add_option("--tol", o->tol, "Error reduction factor for the predicted steps")->capture_default_str();
  sub->add_flag("--two-sided", o->two_sided, "Training Laplacian (output edge to the target, identity output)");
  sub->add_option("--out", o->out, "JSON report file");
  sub->callback([o] {
    const Network net = read_network(o->net);
    const Dataset data = read_csv(o->input);
    check_compatible(net, data, false, o->input);
    require_positive(o->alpha, "--alpha");
    require_positive(o->dt, "--dt");
    require_positive(o->tol, "--tol");
    const double s = o->alpha * o->dt;
    nlohmann::json samples = nlohmann::json::array();
    std::vector<double> lmin, lmax, kappa, steps;
    for (Eigen::Index c = 0; c < data.size(); ++c) {
      const SpectrumResult r = analyse_spectrum(net, data.X.col(c), s, o->tol, o->two_sided);
      samples.push_back(to_json(r));
      lmin.push_back(r.lambda_min);
      lmax.push_back(r.lambda_max);
      kappa.push_back(r.kappa);
      steps.push_back(static_cast<double>(r.predicted_steps));
      if (c < 10)
        fmt::print("sample {:>4}: lambda_min {:>10.4g}  lambda_max {:>10.4g}  kappa {:>10.4g}  predicted_steps {}\n",
                   c, r.lambda_min, r.lambda_max, r.kappa, r.predicted_steps);
    }
    if (data.size() > 10) fmt::print("... ({} more samples in the report)\n", data.size() - 10);
    const double bound = lambda_max_bound(net, o->two_sided);
    const nlohmann::json med = {{"lambda_min", median(lmin)}, {"lambda_max", median(lmax)},
                                {"kappa", median(kappa)}, {"predicted_steps", median(steps)}};
    if (!o->out.empty())
      write_json(o->out, {{"command", "spectrum"},
                          {"settings", {{"alpha", o->alpha}, {"dt", o->dt}, {"tol", o->tol}, {"two_sided", o->two_sided}}},
                          {"lambda_max_bound", bound},
                          {"median", med},
                          {"samples", samples}});
    print_statistics("sheafsim spectrum", {{"samples", fmt::format("{}", data.size())},
                                           {"median_lambda_min", num(median(lmin))},
                                           {"median_lambda_max", num(median(lmax))},
                                           {"median_kappa", num(median(kappa))},
                                           {"median_predicted_steps", num(median(steps))},
                                           {"lambda_max_bound", num(bound)}});
  });
}

}  // namespace sheafsim::cli
