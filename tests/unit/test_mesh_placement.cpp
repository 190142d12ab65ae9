// Where the mesh puts things (docs/architecture.md, "Mapping", "Reduction and
// distribution"): block placement keeps every band's tiles on neighbouring
// PEs, automatic tiles pack, the reduction chains end at the band's tile
// nearest to the receiving group, multicasts start there, partial sums travel
// in their exact width, and the calendars serve first fit. No SystemC.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <set>

#include "sheafsim/arch/busy_calendar.h"
#include "sheafsim/arch/mesh_mapping.h"
#include "sheafsim/arch/pe_phase_cost.h"
#include "sheafsim/base/error.h"

using namespace sheafsim;
using namespace sheafsim::mesh;
using Catch::Matchers::Contains;

namespace {

MeshConfig mesh_of(int r, int c) {
  MeshConfig m;
  m.rows = r;
  m.cols = c;
  return m;
}

int hops(const MeshMapping& map, int a, int b) {
  return std::abs(a / map.cols() - b / map.cols()) + std::abs(a % map.cols() - b % map.cols());
}

}  // namespace

TEST_CASE("block placement: every hop of every chain and multicast is one link", "[placement]") {
  struct Case {
    std::vector<int> layers;
    int rows, cols;
  };
  for (const Case& c : {Case{{64, 128, 128, 10}, 16, 16}, Case{{784, 256, 256, 10}, 32, 32},
                        Case{{64, 128, 128, 10}, 8, 8}, Case{{16, 32, 32, 4}, 4, 4}}) {
    INFO(c.rows << "x" << c.cols << ", " << c.layers[0] << " inputs");
    MeshConfig m = mesh_of(c.rows, c.cols);
    m.order = TileOrder::Block;  // auto takes it too, unless its tiles would be larger than snake's (8x8 here)
    const MeshMapping map(m, c.layers, FixedConfig{});
    REQUIRE(map.order_used() == TileOrder::Block);
    std::set<int> used;
    for (size_t t = 0; t < map.tiles().size(); ++t) {
      const int ti = static_cast<int>(t);
      REQUIRE(used.insert(map.tiles()[t].pe).second);  // one tile per PE
      if (map.fwd_next(ti) >= 0) CHECK(hops(map, map.tiles()[t].pe, map.tiles()[map.fwd_next(ti)].pe) == 1);
      if (map.bwd_next(ti) >= 0) CHECK(hops(map, map.tiles()[t].pe, map.tiles()[map.bwd_next(ti)].pe) == 1);
      CHECK(map.fwd_inputs(ti) <= 2);
      CHECK(map.bwd_inputs(ti) <= 2);
    }
    for (size_t g = 0; g < map.groups().size(); ++g)
      for (const auto* casts : {&map.activation_casts(static_cast<int>(g)), &map.residual_casts(static_cast<int>(g))})
        for (const std::vector<int>& cast : *casts)
          for (size_t i = 1; i < cast.size(); ++i)
            CHECK(hops(map, map.tiles()[static_cast<size_t>(cast[i - 1])].pe,
                       map.tiles()[static_cast<size_t>(cast[i])].pe) == 1);
  }
}

TEST_CASE("automatic tiles: the smallest that pack, and every band's sums reach its groups once", "[placement]") {
  const MeshMapping map(mesh_of(16, 16), {64, 128, 128, 10}, FixedConfig{});
  // 8 x 15 synapses: 16 x 5 + 16 x 9 + 2 x 9 = 242 tiles on 256 PEs (11 x 11 squares do not pack).
  CHECK(map.tile_rows() == 8);
  CHECK(map.tile_cols() == 15);
  CHECK(map.tiles().size() == 242);
  for (size_t g = 0; g < map.groups().size(); ++g) {
    const VertexGroup& grp = map.groups()[g];
    if (grp.layer == 0) continue;
    // One message per row band (chain) that covers the group, each chain covering every tile of its band.
    std::size_t covered = 0;
    for (int tail : map.fwd_senders(static_cast<int>(g))) covered += map.fwd_chain(tail).size();
    CHECK(covered == map.row_tiles(static_cast<int>(g)).size());
  }
  // Explicit tiles that do not pack: an error naming the fix; auto falls back to snake.
  MeshConfig m = mesh_of(16, 16);
  m.tile_rows = m.tile_cols = 11;
  CHECK(MeshMapping(m, {64, 128, 128, 10}, FixedConfig{}).order_used() == TileOrder::Snake);
  m.order = TileOrder::Block;
  REQUIRE_THROWS_WITH(MeshMapping(m, {64, 128, 128, 10}, FixedConfig{}),
                      Contains("--tile-order block") && Contains("--tile-order snake"));
  // Auto: not when block placement needs larger tiles than snake's smallest square
  // ([64,128,128,10] on 8x8: 19 x 26 = 494 synapses against 22 x 22 = 484; [2,30,1] on 4x4).
  CHECK(MeshMapping(mesh_of(8, 8), {64, 128, 128, 10}, FixedConfig{}).order_used() == TileOrder::Snake);
  CHECK(MeshMapping(mesh_of(4, 4), {2, 30, 1}, FixedConfig{}).order_used() == TileOrder::Snake);
  // Vertex reduction: snake (every message goes to or from a vertex unit).
  MeshConfig v = mesh_of(16, 16);
  v.reduction = Reduction::Vertex;
  CHECK(MeshMapping(v, {64, 128, 128, 10}, FixedConfig{}).order_used() == TileOrder::Snake);
}

TEST_CASE("a chain ends at the band's tile nearest to its group", "[placement]") {
  const MeshMapping map(mesh_of(16, 16), {64, 128, 128, 10}, FixedConfig{});
  int checked = 0;
  for (size_t g = 0; g < map.groups().size(); ++g) {
    const VertexGroup& grp = map.groups()[g];
    for (int tail : map.bwd_senders(static_cast<int>(g))) {
      int best = 1 << 30;
      for (int t : map.bwd_chain(tail)) best = std::min(best, hops(map, map.tiles()[static_cast<size_t>(t)].pe, grp.pe));
      // The end of the chain is nearest to the first group of its columns.
      if (map.col_groups(tail).front() == static_cast<int>(g)) {
        CHECK(hops(map, map.tiles()[static_cast<size_t>(tail)].pe, grp.pe) == best);
        ++checked;
      }
    }
  }
  CHECK(checked >= 16);  // every column band of W_2 and W_3 ends somewhere
}

TEST_CASE("partial sums travel in their exact width", "[placement]") {
  FixedConfig fx;  // Q4.12 everywhere, 48-bit accumulator
  // One product of two Q4.12 values: |W a| <= 2^15 2^15 = 2^30: 32 bits hold [-2^30, 2^30].
  CHECK(sum_value_bits(fx, 1, 16, false) == 32);
  CHECK(sum_value_bits(fx, 8, 16, false) == 35);   // 8 products: 2^33
  CHECK(sum_value_bits(fx, 9, 16, false) == 36);   // 9 products: <= 2^34
  CHECK(sum_value_bits(fx, 8, 16, true) == 36);    // plus the aligned bias 2^(15 + 12) < 2^33: <= 2^34
  CHECK(sum_value_bits(fx, 1u << 20, 16, false) == 48);  // never wider than the accumulator
}

TEST_CASE("a calendar serves the first free interval that fits", "[placement][calendar]") {
  BusyCalendar c;
  CHECK(c.reserve(10, 5) == 10);   // [10, 15)
  CHECK(c.reserve(0, 5) == 0);     // [0, 5): before it
  CHECK(c.reserve(3, 5) == 5);     // [5, 10) is free and fits: the gap, not after [10, 15)
  CHECK(c.reserve(5, 5) == 15);    // no gap left before 15
  CHECK(c.free_cycles(0, 25) == 5);  // busy [0, 20): free [20, 25)
  CHECK(c.end() == 20);
  CHECK(c.reserve(7, 0) == 7);     // nothing to reserve
  c.forget_before(15);             // [0, 20) ends after 15: kept
  CHECK(c.free_cycles(0, 20) == 0);
  c.forget_before(20);             // and now forgotten
  CHECK(c.free_cycles(0, 20) == 20);
  CHECK(c.reserve(0, 3) == 0);
}

TEST_CASE("the exactness matrix's block mappings have chains that end in the middle of a band", "[placement]") {
  // mesh_schedules:* runs these (4x4, automatic tiles): a tile adding two passing sums is covered there.
  int two = 0;
  for (const std::vector<int>& layers : {std::vector<int>{2, 6, 5, 1}, std::vector<int>{6, 8, 4}}) {
    const MeshMapping map(mesh_of(4, 4), layers, FixedConfig{});
    REQUIRE(map.order_used() == TileOrder::Block);
    for (size_t t = 0; t < map.tiles().size(); ++t)
      two += (map.fwd_inputs(static_cast<int>(t)) == 2) + (map.bwd_inputs(static_cast<int>(t)) == 2);
  }
  CHECK(two > 0);
}
