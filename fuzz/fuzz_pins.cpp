// libFuzzer target: the pins file parser (sheafsim/reference/pins.h, parse_pins)
// for an identity [2,4,3,1] network and a softmax [2,3,4] one, in inference and
// in training. Any input must give a PinSet or a sheafsim::InputError; a parsed
// set must be consistent: every hard value finite, every gamma >= 0, every
// free input in range, and the strongest pull one of the gammas.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_common.h"
#include "sheafsim/reference/pins.h"

namespace {

void check(const sheafsim::PinSet& p, const std::vector<int>& layers) {
  double strongest = 0;
  auto scan = [&](const sheafsim::StalkPins& s) {
    for (size_t i = 0; i < s.hard.size(); ++i) {
      if (!std::isnan(s.hard[i]) && !std::isfinite(s.hard[i])) sheafsim_fuzz::fail("a hard value is not finite");
      if (!(s.gamma[i] >= 0) || !std::isfinite(s.gamma[i])) sheafsim_fuzz::fail("a gamma is negative or not finite");
      if (!std::isfinite(s.target[i])) sheafsim_fuzz::fail("a soft target is not finite");
      if (std::isnan(s.hard[i]) && s.gamma[i] > strongest) strongest = s.gamma[i];
    }
  };
  for (const auto& s : p.z) scan(s);
  for (const auto& s : p.a) scan(s);
  scan(p.a_out);
  if (p.strongest_pull().gamma != strongest) sheafsim_fuzz::fail("strongest_pull is not the largest gamma");
  for (int i : p.free_inputs)
    if (i < 0 || i >= layers.front()) sheafsim_fuzz::fail("a free input out of range");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  struct Case {
    std::vector<int> layers;
    sheafsim::OutputKind output;
  };
  for (const Case& c : {Case{{2, 4, 3, 1}, sheafsim::OutputKind::Identity}, Case{{2, 3, 4}, sheafsim::OutputKind::Softmax}})
    for (sheafsim::PinUse use : {sheafsim::PinUse::Inference, sheafsim::PinUse::Training})
      sheafsim_fuzz::expect_value_or_input_error(
          [&] { check(sheafsim::parse_pins(text, "fuzz.json", c.layers, c.output, use), c.layers); });
  return 0;
}
