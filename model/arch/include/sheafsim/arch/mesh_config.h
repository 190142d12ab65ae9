#pragma once
// The architecture parameters of the mesh of edge processing elements
// (docs/architecture.md §Mesh). Every field is a `sheafsim simulate` option
// of the same name (and a key of its TOML config).
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace sheafsim::mesh {

enum class VertexPlacement {
  Near,    // each vertex group sits on the PE of its first tile: fewest hops
  West,    // vertex groups on the west column (row = group index mod rows)
  Corner,  // every vertex group on PE (0, 0): a central controller
};
enum class TileOrder {
  Snake,     // tiles fill the mesh row by row, alternating direction (neighbours stay adjacent)
  RowMajor,  // tiles fill the mesh row by row
};

struct MeshConfig {
  int rows = 4, cols = 4;        // PEs
  int lanes = 4;                 // MAC lanes per PE (MACs per cycle)
  int vertex_lanes = 4;          // ALU lanes per vertex unit (register updates per cycle)
  long sram_kib = 64;            // PE SRAM for its weights, biases and Hebbian accumulators
  int mac_pipeline = 3;          // MAC pipeline depth (cycles to drain a burst)
  int sram_latency = 1;          // cycles before an SRAM burst delivers its first word
  int link_latency = 1;          // cycles per hop
  int link_width = 32;           // bits per flit (one flit per link per cycle)
  int tile_rows = 0, tile_cols = 0;  // synapses per tile; 0: the smallest square tile that fits the mesh
  TileOrder order = TileOrder::Snake;
  VertexPlacement placement = VertexPlacement::Near;
  bool time_multiplex = false;   // more tiles than PEs: a PE holds several and runs them in turn
  double clock_mhz = 1000.0;     // for reporting time only
  std::uint64_t random_stalls = 0;  // seed of random PE and link stalls; 0: off
  int max_stall = 8;             // largest random stall, cycles

  int pes() const { return rows * cols; }
  // Throws InputError naming the setting.
  void validate() const;
  nlohmann::json to_json() const;
};

// "RxC" (e.g. "4x4") into rows and cols; throws InputError.
void parse_mesh_shape(const std::string& text, int& rows, int& cols);
VertexPlacement parse_placement(const std::string& name);
TileOrder parse_tile_order(const std::string& name);
std::string to_string(VertexPlacement p);
std::string to_string(TileOrder o);

}  // namespace sheafsim::mesh
