// libFuzzer target: the data CSV parser (sheafsim/reference/dataset.h).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_common.h"
#include "sheafsim/reference/dataset.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  sheafsim_fuzz::expect_value_or_input_error([&] {
    const sheafsim::Dataset d = sheafsim::parse_csv(text, "fuzz.csv");
    if (d.size() < 1 || d.X.rows() < 1) sheafsim_fuzz::fail("accepted a CSV without inputs or rows");
    if (!d.X.allFinite() || !d.Y.allFinite()) sheafsim_fuzz::fail("accepted a non-finite value");
    // What we write reads back to the same numbers (17 significant digits).
    const sheafsim::Dataset again = sheafsim::parse_csv(sheafsim::to_csv(d), "roundtrip");
    if (again.X != d.X || again.Y != d.Y) sheafsim_fuzz::fail("CSV round trip differs");
  });
  return 0;
}
