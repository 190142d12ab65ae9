#pragma once
// `sheafsim spectrum`: the eigen-analysis of L_free (spectrum.h) for every
// input sample, its medians and the mask-independent bound, and the report.
#include <vector>

#include <nlohmann/json.hpp>

#include "sheafsim/reference/dataset.h"
#include "sheafsim/reference/network.h"
#include "sheafsim/reference/spectrum.h"

namespace sheafsim {

struct SpectrumSpec {
  Network net;
  Dataset data;  // its inputs
  double alpha = 1.0, dt = 0.01, tol = 1e-9;  // the predicted steps for s = alpha dt
  bool two_sided = false;                      // the training Laplacian
};

struct SpectrumRun {
  std::vector<SpectrumResult> samples;
  double median_lambda_min = 0, median_lambda_max = 0, median_kappa = 0, median_predicted_steps = 0;
  double lambda_max_bound = 0;
};

SpectrumRun run_spectrum(const SpectrumSpec& spec);

// The spectrum report ("command": "spectrum").
nlohmann::json to_json(const SpectrumSpec& spec, const SpectrumRun& run);

}  // namespace sheafsim
