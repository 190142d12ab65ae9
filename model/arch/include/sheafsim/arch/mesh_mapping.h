#pragma once
// Where everything lives on the mesh: every weight edge W_l is cut into tiles
// of synapses, each tile stays in one PE for the whole run (weight-stationary),
// and the neurons of every layer are split into vertex groups, each held by a
// vertex unit at some PE. Routing is dimension-ordered (X then Y) over
// neighbour links only.
#include <string>
#include <vector>

#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/arch/mesh_config.h"

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

class MeshMapping {
 public:
  // Throws InputError when the mapping does not fit (tiles > PEs without
  // time multiplexing, a PE's tiles larger than its SRAM). With
  // whole_output_group the output layer is one vertex group (its output unit
  // sees every output neuron of a sample: a softmax needs them all; a sigmoid
  // or softmax output passes true), else it is cut by the row bands of W_L
  // like every hidden layer.
  MeshMapping(const MeshConfig& mesh, const std::vector<int>& layers, const FixedConfig& fx,
              bool whole_output_group = false);

  const std::vector<Tile>& tiles() const { return tiles_; }
  const std::vector<VertexGroup>& groups() const { return groups_; }
  const std::vector<int>& tiles_of_pe(int pe) const { return pe_tiles_[static_cast<size_t>(pe)]; }
  // Who talks to whom, in ascending index order (fixed for the run):
  const std::vector<int>& row_groups(int tile) const { return row_groups_[static_cast<size_t>(tile)]; }  // own its rows
  const std::vector<int>& col_groups(int tile) const { return col_groups_[static_cast<size_t>(tile)]; }  // own its columns
  const std::vector<int>& row_tiles(int group) const { return row_tiles_[static_cast<size_t>(group)]; }  // compute its neurons
  const std::vector<int>& reader_tiles(int group) const { return reader_tiles_[static_cast<size_t>(group)]; }  // read its activations
  // In-network reduction (MeshConfig::reduction): the forward sums of a row
  // band (backward sums of a column band) end at the band's tile nearest to
  // the vertex group that receives them (under `near` placement the row
  // band's first tile); every other tile passes its sum, with those it
  // received, to its neighbour in the band towards that end, so a tile adds
  // up to two passing sums. Under vertex reduction every tile ends its own.
  int fwd_next(int tile) const { return fwd_next_[static_cast<size_t>(tile)]; }   // -1: to the vertex groups
  int bwd_next(int tile) const { return bwd_next_[static_cast<size_t>(tile)]; }
  // The passing sums a tile adds to its own (0, 1 or 2).
  int fwd_inputs(int tile) const { return fwd_in_[static_cast<size_t>(tile)]; }
  int bwd_inputs(int tile) const { return bwd_in_[static_cast<size_t>(tile)]; }
  // What the sum a tile passes on covers: the columns (forward) or rows
  // (backward) of its chain's tiles up to and including it, and (forward)
  // whether one of them holds the band's biases.
  int fwd_prefix(int tile) const { return fwd_prefix_[static_cast<size_t>(tile)]; }
  bool fwd_prefix_bias(int tile) const { return fwd_prefix_bias_[static_cast<size_t>(tile)] != 0; }
  int bwd_prefix(int tile) const { return bwd_prefix_[static_cast<size_t>(tile)]; }
  // The chains that end in this group's forward (backward) sums: the messages it receives per chunk.
  // (Every layer's column bands are chained, layer 1's too: its backward sums
  // reach the input groups only when the pins free input coordinates.)
  const std::vector<int>& fwd_senders(int group) const { return fwd_senders_[static_cast<size_t>(group)]; }
  const std::vector<int>& bwd_senders(int group) const { return bwd_senders_[static_cast<size_t>(group)]; }
  // In-network distribution: a group's activations travel along each column
  // band of its reader tiles and its residuals along each row band of its row
  // tiles, from the band's tile nearest to the group each way (a multicast per
  // direction); under vertex reduction, one message per tile. Lists of tiles,
  // in the order visited.
  const std::vector<std::vector<int>>& activation_casts(int group) const { return act_casts_[static_cast<size_t>(group)]; }
  const std::vector<std::vector<int>>& residual_casts(int group) const { return res_casts_[static_cast<size_t>(group)]; }
  // The tiles whose sums reach the chain ending at `tile` (empty unless it ends one).
  const std::vector<int>& fwd_chain(int tail) const { return fwd_chain_[static_cast<size_t>(tail)]; }
  const std::vector<int>& bwd_chain(int tail) const { return bwd_chain_[static_cast<size_t>(tail)]; }
  TileOrder order_used() const { return order_used_; }  // auto: block when the grids pack, else snake
  int tile_rows() const { return tile_rows_; }
  int tile_cols() const { return tile_cols_; }
  long sram_bits_used(int pe) const { return sram_bits_[static_cast<size_t>(pe)]; }
  long sram_bits() const { return sram_bits_capacity_; }

  int rows() const { return rows_; }
  int cols() const { return cols_; }
  int pes() const { return rows_ * cols_; }
  // Directed neighbour links, index pe * 4 + dir (0 E, 1 W, 2 S, 3 N); those off the edge are never used.
  int links() const { return rows_ * cols_ * 4; }
  int existing_links() const { return 2 * (rows_ * (cols_ - 1) + cols_ * (rows_ - 1)); }
  // The links of the X-then-Y route from a to b, in order (empty when a == b).
  std::vector<int> route(int a, int b) const;
  std::string link_name(int link) const;  // "(r,c)->(r,c+1)"

 private:
  int rows_, cols_;
  int tile_rows_ = 0, tile_cols_ = 0;
  TileOrder order_used_ = TileOrder::Snake;
  std::vector<Tile> tiles_;
  std::vector<VertexGroup> groups_;
  std::vector<std::vector<int>> pe_tiles_;
  std::vector<std::vector<int>> row_groups_, col_groups_, row_tiles_, reader_tiles_;
  std::vector<int> fwd_next_, bwd_next_, fwd_in_, bwd_in_, fwd_prefix_, fwd_prefix_bias_, bwd_prefix_;
  std::vector<std::vector<int>> fwd_senders_, bwd_senders_, fwd_chain_, bwd_chain_;
  std::vector<std::vector<std::vector<int>>> act_casts_, res_casts_;
  std::vector<long> sram_bits_;
  long sram_bits_capacity_ = 0;
};

// Block placement: each weight edge's grid of tiles as a rectangle of PEs
// (row bands along mesh rows, or transposed), so that every tile's band
// neighbours are its mesh neighbours; the largest grid first, each at the
// first free place. The PE of every tile in MeshMapping's tile order, or
// empty when the grids do not fit.
std::vector<int> block_placement(const std::vector<int>& layers, int tile_rows, int tile_cols, int rows, int cols);

// The number of tiles of a network at tile_rows x tile_cols synapses per tile.
long tiles_needed(const std::vector<int>& layers, int tile_rows, int tile_cols);

}  // namespace sheafsim::mesh
