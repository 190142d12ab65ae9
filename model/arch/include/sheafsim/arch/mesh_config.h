#pragma once
// The architecture parameters of the mesh of edge processing elements
// (docs/architecture.md §Mesh). Every field is a `sheafsim simulate` option
// of the same name (and a key of its TOML config).
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "sheafsim/arch/pe_rtl_params.h"

namespace sheafsim::mesh {

enum class VertexPlacement {
  Near,    // each vertex group sits on the PE of its first tile: fewest hops
  West,    // vertex groups on the west column (row = group index mod rows)
  Corner,  // every vertex group on PE (0, 0): a central controller
};
// When a unit may start work (docs/architecture.md, "Schedules").
enum class Schedule {
  Dataflow,  // the batch streams through every unit in chunks; a unit starts a chunk as soon as its inputs
             // have arrived and a step as soon as it has finished its own part of the previous one
  Barrier,   // one chunk (the whole batch) per phase; every step starts when the whole mesh has finished the last
};
// Where the partial sums of a row band (forward) or a column band (backward) are added up.
enum class Reduction {
  InNetwork,  // along the PEs of the band: each adds its partial to the passing sum, one message per group and chunk
  Vertex,     // every tile sends its partial to the vertex unit, which adds them all
};
// What one step of the mesh computes (docs/architecture.md, "Backprop SGD on the mesh").
enum class MeshMethod {
  Sheaf,  // a sheaf-diffusion Euler step (joint or stalk-only)
  Sgd,    // a full-batch backprop SGD step: forward wave, backward wave, gradient and update
};
enum class TileOrder {
  Auto,      // block when the network's tile grids pack on the mesh (tiles chosen for it when automatic), else snake
  Snake,     // tiles fill the mesh row by row, alternating direction (neighbours stay adjacent)
  RowMajor,  // tiles fill the mesh row by row
  Block,     // each weight edge's tile grid a rectangle of PEs: band neighbours are mesh neighbours
};

struct MeshConfig {
  int rows = 4, cols = 4;        // PEs
  // The PE's defaults are the RTL's (rtl/pe_params.cmake, pe_rtl_params.h).
  int lanes = pe_rtl::kLanes;    // MAC lanes per PE (MACs per cycle)
  int vertex_lanes = 4;          // ALU lanes per vertex unit (register updates per cycle)
  long sram_kib = 64;            // PE SRAM for its weights, biases and Hebbian accumulators
  int mac_pipeline = pe_rtl::kMacPipeline;        // MAC lane depth: cycles from a chunk's last operands to its last sum
  int update_pipeline = pe_rtl::kUpdatePipeline;  // write lane depth: cycles from a write's operands to its value
  int sram_latency = pe_rtl::kSramLatency;        // cycles from an SRAM read address to its data
  int link_latency = 1;          // cycles per hop
  int link_width = 32;           // bits per flit (one flit per link per cycle)
  int tile_rows = 0, tile_cols = 0;  // synapses per tile; 0: the smallest square tile that fits the mesh
  TileOrder order = TileOrder::Auto;
  VertexPlacement placement = VertexPlacement::Near;
  Schedule schedule = Schedule::Dataflow;
  Reduction reduction = Reduction::InNetwork;
  int chunk = 0;                 // samples per chunk (dataflow); 0: kDefaultChunk (or the batch, if smaller)
  long vertex_sram_kib = 256;    // vertex-unit SRAM for its stalks, residuals and partial-sum buffers
  bool time_multiplex = false;   // more tiles than PEs: a PE holds several and runs them in turn
  double clock_mhz = 1000.0;     // for reporting time only
  std::uint64_t random_stalls = 0;  // seed of random PE and link stalls; 0: off
  int max_stall = 8;             // largest random stall, cycles

  static constexpr int kDefaultChunk = 16;

  int pes() const { return rows * cols; }
  // Samples per chunk for a batch of `batch`: the whole batch under the barrier schedule.
  std::uint64_t chunk_samples(std::uint64_t batch) const;
  // Chunks per batch, and the samples of chunk k (the last may be short).
  std::uint64_t chunks(std::uint64_t batch) const;
  std::uint64_t chunk_size(std::uint64_t batch, std::uint64_t k) const;
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
Schedule parse_schedule(const std::string& name);
Reduction parse_reduction(const std::string& name);
std::string to_string(Schedule s);
std::string to_string(Reduction r);
std::string to_string(MeshMethod m);

}  // namespace sheafsim::mesh
