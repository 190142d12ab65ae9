#pragma once
// Where everything lives on the mesh: every weight edge W_l is cut into tiles
// of synapses, each tile stays in one PE for the whole run (weight-stationary),
// and the neurons of every layer are split into vertex groups, each held by a
// vertex unit at some PE. Routing is dimension-ordered (X then Y) over
// neighbour links only.
#include <string>
#include <vector>

#include "sheafsim/fixed_config.h"
#include "sheafsim/mesh/mesh_config.h"

namespace sheafsim::mesh {

struct Tile {
  int layer = 1;       // W_layer, 1..L
  int r0 = 0, r1 = 0;  // output neurons [r0, r1) of layer
  int c0 = 0, c1 = 0;  // input neurons [c0, c1) of layer - 1
  int pe = 0;
  bool has_bias() const { return c0 == 0; }  // the first tile of a row band holds its biases
  long synapses() const { return static_cast<long>(r1 - r0) * (c1 - c0); }
};

struct VertexGroup {
  int layer = 0;       // 0: the pinned input; L: the output (holds the targets)
  int n0 = 0, n1 = 0;  // neurons [n0, n1)
  int pe = 0;          // where its vertex unit sits
};

// A directed neighbour link: from PE `from` in direction dir (0 E, 1 W, 2 S, 3 N).
struct LinkId {
  int from = 0, dir = 0;
};

class MeshMapping {
 public:
  // Throws InputError when the mapping does not fit (tiles > PEs without
  // time multiplexing, a PE's tiles larger than its SRAM).
  MeshMapping(const MeshConfig& mesh, const std::vector<int>& layers, const FixedConfig& fx);

  const std::vector<Tile>& tiles() const { return tiles_; }
  const std::vector<VertexGroup>& groups() const { return groups_; }
  const std::vector<int>& tiles_of_pe(int pe) const { return pe_tiles_[static_cast<size_t>(pe)]; }
  // Groups of `layer` whose neurons intersect [n0, n1).
  std::vector<int> groups_overlapping(int layer, int n0, int n1) const;
  int tile_rows() const { return tile_rows_; }
  int tile_cols() const { return tile_cols_; }
  long sram_bits_used(int pe) const { return sram_bits_[static_cast<size_t>(pe)]; }
  long sram_bits() const { return sram_bits_capacity_; }

  int rows() const { return rows_; }
  int cols() const { return cols_; }
  int pes() const { return rows_ * cols_; }
  int links() const { return rows_ * cols_ * 4; }  // index from * 4 + dir (links off the edge unused)
  int existing_links() const { return 2 * (rows_ * (cols_ - 1) + cols_ * (rows_ - 1)); }
  int hops(int a, int b) const;
  // The links of the X-then-Y route from a to b, in order (empty when a == b).
  std::vector<int> route(int a, int b) const;
  std::string link_name(int link) const;  // "(r,c)->(r,c+1)"

 private:
  int rows_, cols_;
  int tile_rows_ = 0, tile_cols_ = 0;
  std::vector<Tile> tiles_;
  std::vector<VertexGroup> groups_;
  std::vector<std::vector<int>> pe_tiles_;
  std::vector<long> sram_bits_;
  long sram_bits_capacity_ = 0;
};

// The number of tiles of a network at a square tile size t.
long tiles_needed(const std::vector<int>& layers, int tile_rows, int tile_cols);

}  // namespace sheafsim::mesh
