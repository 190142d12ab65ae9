// libFuzzer target: the small grammars of settings: the fixed-point format
// `Q<i>.<f>` (fx::parse_format), rounding and overflow modes, the mesh shape
// `RxC` and the mesh placement/order names (mesh_config.h).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_common.h"
#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/fixed/fixed_point.h"
#include "sheafsim/arch/mesh_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  using namespace sheafsim;
  sheafsim_fuzz::expect_value_or_input_error([&] {
    const fx::FixedFormat f = fx::parse_format(text, "--stalk-format");
    if (f.int_bits < 1 || f.frac_bits < 0 || f.width() > 64) sheafsim_fuzz::fail("accepted an out-of-range format");
    if (fx::parse_format(f.str(), "again") != f) sheafsim_fuzz::fail("format round trip differs");
    FixedConfig c;
    c.stalk = f;
    c.validate();  // may refuse (InputError), never anything else
  });
  sheafsim_fuzz::expect_value_or_input_error([&] { (void)fx::parse_quant(text); });
  sheafsim_fuzz::expect_value_or_input_error([&] { (void)fx::parse_overflow(text); });
  sheafsim_fuzz::expect_value_or_input_error([&] {
    int rows = 0, cols = 0;
    mesh::parse_mesh_shape(text, rows, cols);
    if (rows < 1 || cols < 1 || rows > 256 || cols > 256) sheafsim_fuzz::fail("accepted an out-of-range mesh");
    mesh::MeshConfig m;
    m.rows = rows;
    m.cols = cols;
    m.validate();
  });
  sheafsim_fuzz::expect_value_or_input_error([&] { (void)mesh::parse_placement(text); });
  sheafsim_fuzz::expect_value_or_input_error([&] { (void)mesh::parse_tile_order(text); });
  return 0;
}
