// libFuzzer target: the sweep grammar of `sheafsim compare --sweep`
// (sheafsim/analysis/sweep.h, sheafsim::parse_sweep). A spec parses to a grid no larger
// than kMaxSweepPoints, or throws sheafsim::InputError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_common.h"
#include "sheafsim/analysis/sweep.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  sheafsim_fuzz::expect_value_or_input_error([&] {
    const sheafsim::SweepSpec spec = sheafsim::parse_sweep(text);
    const size_t n = sheafsim::sweep_size(spec);
    if (n == 0 || n > sheafsim::kMaxSweepPoints) sheafsim_fuzz::fail("grid size outside 1..kMaxSweepPoints");
    if (n <= 256) {  // expand small grids and apply every point
      const auto grid = sheafsim::sweep_grid(spec);
      if (grid.size() != n) sheafsim_fuzz::fail("sweep_grid size differs from sweep_size");
      for (const auto& point : grid) {
        const sheafsim::FixedConfig c = sheafsim::apply_sweep_point(sheafsim::FixedConfig{}, point);
        (void)sheafsim::word_length_bits(c);
        try {
          c.validate();
        } catch (const sheafsim::InputError&) {
        }
      }
    }
  });
  return 0;
}
