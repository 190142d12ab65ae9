#include "sheafsim/arch/mesh_mapping.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "sheafsim/base/error.h"

namespace sheafsim::mesh {

namespace {
long ceil_div(long a, long b) { return (a + b - 1) / b; }
}  // namespace

std::vector<int> block_placement(const std::vector<int>& layers, int tile_rows, int tile_cols, int rows, int cols) {
  const int L = static_cast<int>(layers.size()) - 1;
  struct Grid {
    int layer, r, c;  // tile rows and columns of W_layer
    long first;       // index of its first tile (tiles are made layer by layer, row band by row band)
  };
  std::vector<Grid> grids;
  long first = 0;
  for (int l = 1; l <= L; ++l) {
    const Grid g{l, static_cast<int>(ceil_div(layers[static_cast<size_t>(l)], tile_rows)),
                 static_cast<int>(ceil_div(layers[static_cast<size_t>(l - 1)], tile_cols)), first};
    grids.push_back(g);
    first += static_cast<long>(g.r) * g.c;
  }
  // A grid that fits the mesh in neither orientation: no search.
  for (const Grid& g : grids)
    if (!((g.r <= rows && g.c <= cols) || (g.c <= rows && g.r <= cols)) || first > static_cast<long>(rows) * cols)
      return {};
  std::vector<int> pe(static_cast<size_t>(first), -1);
  std::vector<std::vector<char>> used(static_cast<size_t>(rows), std::vector<char>(static_cast<size_t>(cols), 0));
  auto free_rect = [&](int r0, int c0, int h, int w) {
    for (int r = r0; r < r0 + h; ++r)
      for (int c = c0; c < c0 + w; ++c)
        if (used[static_cast<size_t>(r)][static_cast<size_t>(c)]) return false;
    return true;
  };
  // The largest grid first, each at the first free place (row by row), as is or transposed.
  std::vector<Grid> order = grids;
  std::stable_sort(order.begin(), order.end(), [](const Grid& a, const Grid& b) { return a.r * a.c > b.r * b.c; });
  for (const Grid& g : order) {
    bool placed = false;
    for (int t = 0; t < 2 && !placed; ++t) {
      const int h = t == 0 ? g.r : g.c, w = t == 0 ? g.c : g.r;
      for (int r0 = 0; r0 + h <= rows && !placed; ++r0)
        for (int c0 = 0; c0 + w <= cols && !placed; ++c0) {
          if (!free_rect(r0, c0, h, w)) continue;
          for (int i = 0; i < g.r; ++i)
            for (int j = 0; j < g.c; ++j) {
              const int r = r0 + (t == 0 ? i : j), c = c0 + (t == 0 ? j : i);
              used[static_cast<size_t>(r)][static_cast<size_t>(c)] = 1;
              pe[static_cast<size_t>(g.first + static_cast<long>(i) * g.c + j)] = r * cols + c;
            }
          placed = true;
        }
    }
    if (!placed) return {};
  }
  return pe;
}

long tiles_needed(const std::vector<int>& layers, int tile_rows, int tile_cols) {
  long n = 0;
  for (size_t l = 1; l < layers.size(); ++l) n += ceil_div(layers[l], tile_rows) * ceil_div(layers[l - 1], tile_cols);
  return n;
}

namespace {

// The synapses of the largest tile (a tile is cut down to its layer's widths).
long max_tile_synapses(const std::vector<int>& layers, int tile_rows, int tile_cols) {
  long m = 0;
  for (size_t l = 1; l < layers.size(); ++l)
    m = std::max(m, static_cast<long>(std::min(tile_rows, layers[l])) * std::min(tile_cols, layers[l - 1]));
  return m;
}

// The smallest square tile whose tile count fits `pes` PEs; the widest layer if none does.
int smallest_square_tile(const std::vector<int>& layers, int pes) {
  const int widest = *std::max_element(layers.begin(), layers.end());
  int t = 1;
  while (t < widest && tiles_needed(layers, t, t) > pes) ++t;
  return t;
}

// Automatic tiles for block placement: the tile with the fewest synapses
// (then the squarest) whose grids pack on rows x cols; the bands change only
// where ceil(n / t) does. With `no_larger_than_snake` (tile order auto), only
// tiles no larger than snake placement's: the busiest PE's work must not grow.
// Returns the placement (block_placement) and sets tr, tc; empty when none packs.
std::vector<int> auto_block_tiles(const std::vector<int>& layers, int rows, int cols, bool no_larger_than_snake,
                                  int& tr, int& tc) {
  std::vector<int> rs, cs;
  const int L = static_cast<int>(layers.size()) - 1;
  for (int l = 0; l <= L; ++l) {
    const int n = layers[static_cast<size_t>(l)];
    for (int k = 1; k <= n; ++k) {
      if (l >= 1) rs.push_back(static_cast<int>(ceil_div(n, k)));
      if (l < L) cs.push_back(static_cast<int>(ceil_div(n, k)));
    }
  }
  for (auto* v : {&rs, &cs}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  struct Candidate {
    int r, c;
    long synapses;
  };
  std::vector<Candidate> cand;
  for (int r : rs)
    for (int c : cs)
      if (tiles_needed(layers, r, c) <= static_cast<long>(rows) * cols) cand.push_back({r, c, max_tile_synapses(layers, r, c)});
  std::sort(cand.begin(), cand.end(), [](const Candidate& a, const Candidate& b) {
    if (a.synapses != b.synapses) return a.synapses < b.synapses;
    if (std::abs(a.r - a.c) != std::abs(b.r - b.c)) return std::abs(a.r - a.c) < std::abs(b.r - b.c);
    return a.r < b.r;
  });
  const int sq = smallest_square_tile(layers, rows * cols);
  const long snake_max = max_tile_synapses(layers, sq, sq);
  for (const Candidate& x : cand) {
    if (no_larger_than_snake && x.synapses > snake_max) break;
    std::vector<int> block = block_placement(layers, x.r, x.c, rows, cols);
    if (block.empty()) continue;
    tr = x.r;
    tc = x.c;
    return block;
  }
  return {};
}

}  // namespace

MeshMapping::MeshMapping(const MeshConfig& mesh, const std::vector<int>& layers, const FixedConfig& fx,
                         bool whole_output_group)
    : rows_(mesh.rows), cols_(mesh.cols) {
  mesh.validate();
  const int P = mesh.pes();
  tile_rows_ = mesh.tile_rows;
  tile_cols_ = mesh.tile_cols;
  std::vector<int> block;  // the PE of every tile under block placement (empty: snake or row-major)
  // Auto: block placement serves the band chains of in-network reduction;
  // under vertex reduction every message goes to or from a vertex unit, and snake keeps those short.
  const bool want_block =
      mesh.order == TileOrder::Block || (mesh.order == TileOrder::Auto && mesh.reduction == Reduction::InNetwork);
  if (want_block && tile_rows_ == 0 && tile_cols_ == 0 && !mesh.time_multiplex)
    block = auto_block_tiles(layers, rows_, cols_, mesh.order == TileOrder::Auto, tile_rows_, tile_cols_);
  if (tile_rows_ == 0 || tile_cols_ == 0) {
    // Auto: the smallest square tile whose tile count fits the mesh (the most parallel weight-stationary mapping).
    const int t = smallest_square_tile(layers, P);
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
      const int cc = mesh.order != TileOrder::RowMajor && (r % 2 == 1) ? cols_ - 1 - c : c;
      order.push_back(r * cols_ + cc);
    }
  if (block.empty() && want_block && !(mesh.order == TileOrder::Auto && n_tiles > P))
    block = block_placement(layers, tile_rows_, tile_cols_, rows_, cols_);
  order_used_ = !block.empty() ? TileOrder::Block : mesh.order == TileOrder::Auto ? TileOrder::Snake : mesh.order;
  if (mesh.order == TileOrder::Block) {
    if (block.empty())
      throw InputError(fmt::format(
          "--tile-order block: the tile grids of this network at {}x{} synapses per tile do not fit the {}x{} mesh "
          "as rectangles; use other --tile-rows/--tile-cols, a larger mesh, or --tile-order snake",
          tile_rows_, tile_cols_, mesh.rows, mesh.cols));
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
        t.pe = block.empty() ? order[static_cast<size_t>(k % P)] : block[static_cast<size_t>(k)];
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

  // Reduction chains. The sums of a band end at the band's tile nearest to
  // the vertex group that receives them (the row band's first tile under
  // `near` placement); the tiles on either side pass theirs towards it, each
  // adding its own, so the end adds up to two passing sums.
  const size_t T = tiles_.size();
  fwd_next_.assign(T, -1);
  bwd_next_.assign(T, -1);
  fwd_in_.assign(T, 0);
  bwd_in_.assign(T, 0);
  const bool in_network = mesh.reduction == Reduction::InNetwork;
  auto hops = [&](int a, int b) { return std::abs(a / cols_ - b / cols_) + std::abs(a % cols_ - b % cols_); };
  auto tile_pe = [&](int t) { return tiles_[static_cast<size_t>(t)].pe; };
  // The index in `band` (tiles in order of their start) of the tile nearest to PE `to` (the first of the nearest).
  auto nearest = [&](const std::vector<int>& in_band, int to) {
    size_t m = 0;
    for (size_t i = 1; i < in_band.size(); ++i)
      if (hops(tile_pe(in_band[i]), to) < hops(tile_pe(in_band[m]), to)) m = i;
    return m;
  };
  if (in_network) {
    // Bands keyed by (layer, start); each sorted by the other start.
    std::map<std::pair<int, int>, std::vector<int>> rows, cols;
    for (size_t t = 0; t < T; ++t) {
      rows[{tiles_[t].layer, tiles_[t].r0}].push_back(static_cast<int>(t));
      cols[{tiles_[t].layer, tiles_[t].c0}].push_back(static_cast<int>(t));
    }
    auto link = [&](std::vector<int>& in_band, const std::vector<int>& groups, std::vector<int>& next, std::vector<int>& in) {
      const size_t m = nearest(in_band, groups_[static_cast<size_t>(groups.front())].pe);
      for (size_t i = 0; i < m; ++i) next[static_cast<size_t>(in_band[i])] = in_band[i + 1];
      for (size_t i = m + 1; i < in_band.size(); ++i) next[static_cast<size_t>(in_band[i])] = in_band[i - 1];
      for (size_t i = 0; i < in_band.size(); ++i)
        if (next[static_cast<size_t>(in_band[i])] >= 0) ++in[static_cast<size_t>(next[static_cast<size_t>(in_band[i])])];
    };
    for (auto& entry : rows) link(entry.second, row_groups_[static_cast<size_t>(entry.second.front())], fwd_next_, fwd_in_);
    for (auto& entry : cols) {
      std::vector<int>& b = entry.second;
      std::sort(b.begin(), b.end(),
                [&](int x, int y) { return tiles_[static_cast<size_t>(x)].r0 < tiles_[static_cast<size_t>(y)].r0; });
      link(b, col_groups_[static_cast<size_t>(b.front())], bwd_next_, bwd_in_);
    }
  }
  // The tiles whose sums reach each chain's end (stored at the end), and what
  // each tile's passing sum covers: columns (rows) and the bias.
  fwd_chain_.assign(T, {});
  bwd_chain_.assign(T, {});
  fwd_prefix_.assign(T, 0);
  fwd_prefix_bias_.assign(T, 0);
  bwd_prefix_.assign(T, 0);
  auto end_of = [&](const std::vector<int>& next, int t) {
    while (next[static_cast<size_t>(t)] >= 0) t = next[static_cast<size_t>(t)];
    return t;
  };
  for (size_t t = 0; t < T; ++t) {
    const Tile& tl = tiles_[t];
    fwd_chain_[static_cast<size_t>(end_of(fwd_next_, static_cast<int>(t)))].push_back(static_cast<int>(t));
    bwd_chain_[static_cast<size_t>(end_of(bwd_next_, static_cast<int>(t)))].push_back(static_cast<int>(t));
    for (int x = static_cast<int>(t); x >= 0; x = fwd_next_[static_cast<size_t>(x)]) {  // t's sum passes through x
      fwd_prefix_[static_cast<size_t>(x)] += tl.c1 - tl.c0;
      fwd_prefix_bias_[static_cast<size_t>(x)] |= tl.has_bias() ? 1 : 0;
    }
    for (int x = static_cast<int>(t); x >= 0; x = bwd_next_[static_cast<size_t>(x)])
      bwd_prefix_[static_cast<size_t>(x)] += tl.r1 - tl.r0;
  }
  // Multicasts: a group's activations along each column band of its reader
  // tiles, its residuals along each row band of its row tiles; from the
  // band's tile nearest to the group each way (one multicast per direction).
  auto casts = [&](const std::vector<int>& tiles, bool by_column, int from) {
    std::map<int, std::vector<int>> bands;  // band start -> tiles
    std::vector<std::vector<int>> out;
    for (int t : tiles) {
      const Tile& tl = tiles_[static_cast<size_t>(t)];
      if (!in_network) out.push_back({t});
      else bands[by_column ? tl.c0 : tl.r0].push_back(t);
    }
    for (auto& entry : bands) {
      std::vector<int>& b = entry.second;
      std::sort(b.begin(), b.end(), [&](int x, int y) {
        const Tile& tx = tiles_[static_cast<size_t>(x)];
        const Tile& ty = tiles_[static_cast<size_t>(y)];
        return by_column ? tx.r0 < ty.r0 : tx.c0 < ty.c0;
      });
      const size_t m = nearest(b, from);
      out.emplace_back(b.begin() + static_cast<std::ptrdiff_t>(m), b.end());
      if (m > 0) out.emplace_back(b.rbegin() + static_cast<std::ptrdiff_t>(b.size() - m), b.rend());
    }
    return out;
  };
  act_casts_.clear();
  res_casts_.clear();
  for (size_t g = 0; g < groups_.size(); ++g) {
    act_casts_.push_back(casts(reader_tiles_[g], true, groups_[g].pe));
    res_casts_.push_back(casts(row_tiles_[g], false, groups_[g].pe));
  }
  fwd_senders_.assign(groups_.size(), {});
  bwd_senders_.assign(groups_.size(), {});
  for (size_t t = 0; t < T; ++t) {
    if (fwd_next_[t] < 0)
      for (int g : row_groups_[t]) fwd_senders_[static_cast<size_t>(g)].push_back(static_cast<int>(t));
    if (bwd_next_[t] < 0)
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
