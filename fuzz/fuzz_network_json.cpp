// libFuzzer target: the network JSON parser (sheafsim/reference/network_io.h).
// Any input must give a Network or a sheafsim::InputError; anything else
// (another exception, a crash, a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_common.h"
#include "sheafsim/reference/network_io.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  sheafsim_fuzz::expect_value_or_input_error([&] {
    const sheafsim::Network net = sheafsim::network_from_json(sheafsim::parse_json_text(text, "fuzz.json"), "fuzz.json");
    // A parsed network writes back and reads back to the same network.
    const auto again = sheafsim::network_from_json(sheafsim::network_to_json(net), "roundtrip");
    if (again.layers != net.layers || again.output != net.output) sheafsim_fuzz::fail("network round trip differs");
    for (size_t k = 0; k < net.W.size(); ++k)
      if (again.W[k] != net.W[k] || again.b[k] != net.b[k]) sheafsim_fuzz::fail("network round trip differs");
  });
  return 0;
}
