// libFuzzer target: the design space of `sheafsim explore --config explore.toml`
// (sheafsim/explore/design_space.h, parse_design_space) and its samples
// (design_sample.h). A text parses to a space whose every axis has values, or
// throws sheafsim::InputError; a small space samples to points that take one
// of each axis's values, distinct for the random and Latin-hypercube methods.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "fuzz_common.h"
#include "sheafsim/explore/design_sample.h"
#include "sheafsim/explore/design_space.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sheafsim::explore;
  const std::string text(reinterpret_cast<const char*>(data), size);
  sheafsim_fuzz::expect_value_or_input_error([&] {
    const DesignSpace space = parse_design_space(text, "fuzz.toml");
    for (const Axis& a : space.axes)
      if (a.values.empty()) sheafsim_fuzz::fail("an axis without values");
    const bool sampled = space.method != SampleMethod::Grid;
    if (space.grid_size() > 512 || (sampled && space.sample_points > 512)) return;
    const Sample s = sample_design(space);
    if (!sampled && s.points.size() != space.grid_size()) sheafsim_fuzz::fail("the grid has not grid_size() points");
    if (sampled && s.points.size() > space.sample_points) sheafsim_fuzz::fail("more points than the sample size");
    std::set<DesignPoint> distinct(s.points.begin(), s.points.end());
    if (sampled && distinct.size() != s.points.size()) sheafsim_fuzz::fail("a sample repeats a point");
    for (const DesignPoint& p : s.points) {
      if (p.size() != space.axes.size()) sheafsim_fuzz::fail("a point without a value per axis");
      for (size_t i = 0; i < p.size(); ++i) {
        const Axis& a = space.axes[i];
        if (p[i].first != a.key) sheafsim_fuzz::fail("a point's keys are not the axes'");
        bool found = false;
        for (const std::string& v : a.values) found = found || v == p[i].second;
        if (!found) sheafsim_fuzz::fail("a point takes a value its axis does not have");
      }
    }
  });
  return 0;
}
