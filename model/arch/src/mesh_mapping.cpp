#include "sheafsim/arch/mesh_mapping.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "sheafsim/base/error.h"

namespace sheafsim::mesh {

namespace {
long ceil_div(long a, long b) { return (a + b - 1) / b; }
}  // namespace

long tiles_needed(const std::vector<int>& layers, int tile_rows, int tile_cols) {
  long n = 0;
  for (size_t l = 1; l < layers.size(); ++l) n += ceil_div(layers[l], tile_rows) * ceil_div(layers[l - 1], tile_cols);
  return n;
}

MeshMapping::MeshMapping(const MeshConfig& mesh, const std::vector<int>& layers, const FixedConfig& fx,
                         bool whole_output_group)
    : rows_(mesh.rows), cols_(mesh.cols) {
  mesh.validate();
  const int P = mesh.pes();
  const int widest = *std::max_element(layers.begin(), layers.end());
  tile_rows_ = mesh.tile_rows;
  tile_cols_ = mesh.tile_cols;
  if (tile_rows_ == 0 || tile_cols_ == 0) {
    // Auto: the smallest square tile whose tile count fits the mesh (the most
    // parallel weight-stationary mapping); the widest layer if none does.
    int t = 1;
    while (t < widest && tiles_needed(layers, t, t) > P) ++t;
    if (tile_rows_ == 0) tile_rows_ = t;
    if (tile_cols_ == 0) tile_cols_ = t;
  }
  const long n_tiles = tiles_needed(layers, tile_rows_, tile_cols_);
  if (n_tiles > P && !mesh.time_multiplex)
    throw InputError(fmt::format(
        "the mapping needs {} tiles of {}x{} synapses but the {}x{} mesh has {} PEs; use larger tiles "
        "(--tile-rows/--tile-cols), a larger mesh, or --time-multiplex",
        n_tiles, tile_rows_, tile_cols_, mesh.rows, mesh.cols, P));

  // PE order: row by row, alternating direction for Snake.
  std::vector<int> order;
  for (int r = 0; r < rows_; ++r)
    for (int c = 0; c < cols_; ++c) {
      const int cc = mesh.order == TileOrder::Snake && (r % 2 == 1) ? cols_ - 1 - c : c;
      order.push_back(r * cols_ + cc);
    }
  pe_tiles_.assign(static_cast<size_t>(P), {});
  const int L = static_cast<int>(layers.size()) - 1;
  long k = 0;
  for (int l = 1; l <= L; ++l)
    for (int r0 = 0; r0 < layers[static_cast<size_t>(l)]; r0 += tile_rows_)
      for (int c0 = 0; c0 < layers[static_cast<size_t>(l - 1)]; c0 += tile_cols_) {
        Tile t;
        t.layer = l;
        t.r0 = r0;
        t.r1 = std::min(r0 + tile_rows_, layers[static_cast<size_t>(l)]);
        t.c0 = c0;
        t.c1 = std::min(c0 + tile_cols_, layers[static_cast<size_t>(l - 1)]);
        t.pe = order[static_cast<size_t>(k % P)];
        pe_tiles_[static_cast<size_t>(t.pe)].push_back(static_cast<int>(tiles_.size()));
        tiles_.push_back(t);
        ++k;
      }

  // SRAM: each synapse keeps its weight and its Hebbian accumulator; each bias
  // its value and its accumulator.
  sram_bits_capacity_ = mesh.sram_kib * 1024 * 8;
  sram_bits_.assign(static_cast<size_t>(P), 0);
  for (const Tile& t : tiles_) {
    long bits = t.synapses() * (fx.weight.width() + fx.acc_bits);
    if (t.has_bias()) bits += static_cast<long>(t.r1 - t.r0) * (fx.bias.width() + fx.acc_bits);
    sram_bits_[static_cast<size_t>(t.pe)] += bits;
  }
  for (int p = 0; p < P; ++p)
    if (sram_bits_[static_cast<size_t>(p)] > sram_bits_capacity_)
      throw InputError(fmt::format(
          "PE ({},{}) needs {} bits of SRAM for its {} tile(s) of up to {}x{} synapses but --sram-kib {} holds {} bits; "
          "use smaller tiles or a larger SRAM",
          p / cols_, p % cols_, sram_bits_[static_cast<size_t>(p)], pe_tiles_[static_cast<size_t>(p)].size(),
          tile_rows_, tile_cols_, mesh.sram_kib, sram_bits_capacity_));

  // Vertex groups: layer 0 by the column bands of W_1, every other layer by
  // the row bands of its own weight edge (the output layer: one group with
  // whole_output_group).
  auto place = [&](int layer, int n0, int band) {
    switch (mesh.placement) {
      case VertexPlacement::Corner: return 0;
      case VertexPlacement::West: return (band % rows_) * cols_;
      case VertexPlacement::Near: break;
    }
    // The PE of the first tile that touches these neurons (as outputs, or as inputs for layer 0).
    for (const Tile& t : tiles_) {
      if (layer > 0 && t.layer == layer && t.r0 <= n0 && n0 < t.r1) return t.pe;
      if (layer == 0 && t.layer == 1 && t.c0 <= n0 && n0 < t.c1) return t.pe;
    }
    return 0;
  };
  int band = 0;
  for (int l = 0; l <= L; ++l) {
    const int n = layers[static_cast<size_t>(l)];
    const int size = l == 0 ? tile_cols_ : (l == L && whole_output_group) ? std::max(n, 1) : tile_rows_;
    for (int n0 = 0; n0 < n; n0 += size) {
      VertexGroup g;
      g.layer = l;
      g.n0 = n0;
      g.n1 = std::min(n0 + size, n);
      g.pe = place(l, n0, band++);
      groups_.push_back(g);
    }
  }
  row_groups_.assign(tiles_.size(), {});
  col_groups_.assign(tiles_.size(), {});
  row_tiles_.assign(groups_.size(), {});
  reader_tiles_.assign(groups_.size(), {});
  for (size_t t = 0; t < tiles_.size(); ++t)
    for (size_t g = 0; g < groups_.size(); ++g) {
      const Tile& tl = tiles_[t];
      const VertexGroup& gr = groups_[g];
      if (gr.layer == tl.layer && gr.n0 < tl.r1 && tl.r0 < gr.n1) {
        row_groups_[t].push_back(static_cast<int>(g));
        row_tiles_[g].push_back(static_cast<int>(t));
      }
      if (gr.layer == tl.layer - 1 && gr.n0 < tl.c1 && tl.c0 < gr.n1) {
        col_groups_[t].push_back(static_cast<int>(g));
        reader_tiles_[g].push_back(static_cast<int>(t));
      }
    }

  // Reduction chains: within a band, by descending start, so that each ends at the band's first tile.
  const size_t T = tiles_.size();
  fwd_next_.assign(T, -1);
  bwd_next_.assign(T, -1);
  fwd_in_.assign(T, 0);
  bwd_in_.assign(T, 0);
  if (mesh.reduction == Reduction::InNetwork) {
    // Bands keyed by (layer, start); tiles were made in (layer, r0, c0) order.
    std::map<std::pair<int, int>, std::vector<int>> rows, cols;
    for (size_t t = 0; t < T; ++t) {
      rows[{tiles_[t].layer, tiles_[t].r0}].push_back(static_cast<int>(t));
      cols[{tiles_[t].layer, tiles_[t].c0}].push_back(static_cast<int>(t));
    }
    // Ascending start within a band: each tile passes its sum to the one before it.
    for (auto& entry : rows) {
      const std::vector<int>& b = entry.second;
      for (size_t i = 1; i < b.size(); ++i) fwd_next_[static_cast<size_t>(b[i])] = b[i - 1];
    }
    for (auto& entry : cols) {
      std::vector<int>& b = entry.second;
      std::sort(b.begin(), b.end(),
                [&](int x, int y) { return tiles_[static_cast<size_t>(x)].r0 < tiles_[static_cast<size_t>(y)].r0; });
      for (size_t i = 1; i < b.size(); ++i) bwd_next_[static_cast<size_t>(b[i])] = b[i - 1];
    }
    for (size_t a = 0; a < T; ++a) {
      if (fwd_next_[a] >= 0) fwd_in_[static_cast<size_t>(fwd_next_[a])] = 1;
      if (bwd_next_[a] >= 0) bwd_in_[static_cast<size_t>(bwd_next_[a])] = 1;
    }
  }
  // Each chain, first to last, stored at its last tile.
  auto chains = [&](const std::vector<int>& next, std::vector<std::vector<int>>& out) {
    out.assign(T, {});
    std::vector<int> prev(T, -1);
    for (size_t t = 0; t < T; ++t)
      if (next[t] >= 0) prev[static_cast<size_t>(next[t])] = static_cast<int>(t);
    for (size_t t = 0; t < T; ++t) {
      if (next[t] >= 0) continue;
      for (int x = static_cast<int>(t); x >= 0; x = prev[static_cast<size_t>(x)]) out[t].insert(out[t].begin(), x);
    }
  };
  chains(fwd_next_, fwd_chain_);
  chains(bwd_next_, bwd_chain_);
  fwd_prefix_.assign(T, 0);
  fwd_prefix_bias_.assign(T, 0);
  bwd_prefix_.assign(T, 0);
  for (size_t t = 0; t < T; ++t) {
    int cols = 0, rows = 0, bias = 0;
    for (int x : fwd_chain_[t]) {  // empty unless t ends a chain
      const Tile& tl = tiles_[static_cast<size_t>(x)];
      cols += tl.c1 - tl.c0;
      bias |= tl.has_bias() ? 1 : 0;
      fwd_prefix_[static_cast<size_t>(x)] = cols;
      fwd_prefix_bias_[static_cast<size_t>(x)] = bias;
    }
    for (int x : bwd_chain_[t]) {
      const Tile& tl = tiles_[static_cast<size_t>(x)];
      rows += tl.r1 - tl.r0;
      bwd_prefix_[static_cast<size_t>(x)] = rows;
    }
  }
  // Multicasts: the reader (row) tiles of a group, by band.
  const bool in_network = mesh.reduction == Reduction::InNetwork;
  auto casts = [&](const std::vector<int>& tiles, bool by_column) {
    std::map<int, std::vector<int>> bands;  // band start -> tiles
    std::vector<std::vector<int>> out;
    for (int t : tiles) {
      const Tile& tl = tiles_[static_cast<size_t>(t)];
      if (!in_network) {
        out.push_back({t});
        continue;
      }
      bands[by_column ? tl.c0 : tl.r0].push_back(t);
    }
    for (auto& entry : bands) {
      std::vector<int>& b = entry.second;
      std::sort(b.begin(), b.end(), [&](int x, int y) {
        const Tile& tx = tiles_[static_cast<size_t>(x)];
        const Tile& ty = tiles_[static_cast<size_t>(y)];
        return by_column ? tx.r0 < ty.r0 : tx.c0 < ty.c0;
      });
      out.push_back(b);
    }
    return out;
  };
  act_casts_.clear();
  res_casts_.clear();
  for (size_t g = 0; g < groups_.size(); ++g) {
    act_casts_.push_back(casts(reader_tiles_[g], true));
    res_casts_.push_back(casts(row_tiles_[g], false));
  }
  fwd_senders_.assign(groups_.size(), {});
  bwd_senders_.assign(groups_.size(), {});
  for (size_t t = 0; t < T; ++t) {
    if (fwd_next_[t] < 0)
      for (int g : row_groups_[t]) fwd_senders_[static_cast<size_t>(g)].push_back(static_cast<int>(t));
    if (bwd_next_[t] < 0 && tiles_[t].layer >= 2)
      for (int g : col_groups_[t]) bwd_senders_[static_cast<size_t>(g)].push_back(static_cast<int>(t));
  }
}

std::vector<int> MeshMapping::route(int a, int b) const {
  std::vector<int> links;
  int r = a / cols_, c = a % cols_;
  const int rb = b / cols_, cb = b % cols_;
  while (c != cb) {  // X first
    const int dir = cb > c ? 0 : 1;
    links.push_back((r * cols_ + c) * 4 + dir);
    c += cb > c ? 1 : -1;
  }
  while (r != rb) {  // then Y
    const int dir = rb > r ? 2 : 3;
    links.push_back((r * cols_ + c) * 4 + dir);
    r += rb > r ? 1 : -1;
  }
  return links;
}

std::string MeshMapping::link_name(int link) const {
  const int pe = link / 4, dir = link % 4;
  const int r = pe / cols_, c = pe % cols_;
  const int r2 = r + (dir == 2 ? 1 : dir == 3 ? -1 : 0), c2 = c + (dir == 0 ? 1 : dir == 1 ? -1 : 0);
  return fmt::format("({},{})->({},{})", r, c, r2, c2);
}

}  // namespace sheafsim::mesh
