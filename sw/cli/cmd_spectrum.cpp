// `sheafsim spectrum`: the options become a request (SpectrumSpec,
// spectrum_run.h); this prints the first samples and the statistics block and
// writes the report.
#include <fmt/format.h>

#include "commands.h"
#include "console.h"
#include "sheafsim/reference/dataset.h"
#include "sheafsim/reference/network_io.h"
#include "sheafsim/reference/settings.h"
#include "sheafsim/run/spectrum_run.h"

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
    SpectrumSpec s;
    s.net = read_network(o->net);
    s.data = read_csv(o->input);
    check_compatible(s.net, s.data, false, o->input);
    require_positive(o->alpha, "--alpha");
    require_positive(o->dt, "--dt");
    require_positive(o->tol, "--tol");
    s.alpha = o->alpha;
    s.dt = o->dt;
    s.tol = o->tol;
    s.two_sided = o->two_sided;
    const SpectrumRun run = run_spectrum(s);
    for (size_t c = 0; c < run.samples.size() && c < 10; ++c) {
      const SpectrumResult& r = run.samples[c];
      fmt::print("sample {:>4}: lambda_min {:>10.4g}  lambda_max {:>10.4g}  kappa {:>10.4g}  predicted_steps {}\n",
                 c, r.lambda_min, r.lambda_max, r.kappa, r.predicted_steps);
    }
    if (s.data.size() > 10) {
      if (o->out.empty())
        fmt::print("... ({} more samples not shown: add --out FILE to write every sample to a JSON report)\n",
                   s.data.size() - 10);
      else
        fmt::print("... ({} more samples in {})\n", s.data.size() - 10, o->out);
    }
    if (!o->out.empty()) write_json(o->out, to_json(s, run));
    std::vector<StatRow> rows = {{"samples", fmt::format("{}", s.data.size())},
                                 {"median_lambda_min", num(run.median_lambda_min)},
                                 {"median_lambda_max", num(run.median_lambda_max)},
                                 {"median_kappa", num(run.median_kappa)},
                                 {"median_predicted_steps", run.median_predicted_steps < 0
                                                                  ? std::string("n/a (diffusion does not converge at this dt)")
                                                                  : num(run.median_predicted_steps)},
                                 {"lambda_max_bound", num(run.lambda_max_bound)}};
    rows.push_back({"report", o->out.empty() ? "none (add --out FILE for every sample)" : o->out});
    print_statistics("sheafsim spectrum", rows);
  });
}

}  // namespace sheafsim::cli
