#include "sheafsim/arch/mesh_buffers.h"

#include <algorithm>

#include <fmt/format.h>

#include "sheafsim/base/error.h"

namespace sheafsim::mesh {

long MeshBuffers::pe_max() const { return pe_bits.empty() ? 0 : *std::max_element(pe_bits.begin(), pe_bits.end()); }
long MeshBuffers::vertex_max() const {
  return vertex_bits.empty() ? 0 : *std::max_element(vertex_bits.begin(), vertex_bits.end());
}

MeshBuffers mesh_buffers(const MeshMapping& map, const MeshConfig& mesh, const FixedConfig& fx, std::uint64_t batch,
                         int L, MeshMethod method, bool free_input) {
  MeshBuffers b;
  const long B = static_cast<long>(batch);
  const long chunk = static_cast<long>(mesh.chunk_samples(batch));
  const long depth = mesh.schedule == Schedule::Dataflow ? 2 : 1;  // chunks in flight per buffer
  const long ws = fx.stalk.width(), wr = fx.residual.width(), acc = fx.acc_bits;
  b.pe_capacity_bits = mesh.sram_kib * 1024 * 8;
  b.vertex_capacity_bits = mesh.vertex_sram_kib * 1024 * 8;
  b.pe_bits.resize(static_cast<size_t>(map.pes()));
  for (int p = 0; p < map.pes(); ++p) b.pe_bits[static_cast<size_t>(p)] = map.sram_bits_used(p);
  for (const Tile& t : map.tiles()) {
    const long rows = t.r1 - t.r0, cols = t.c1 - t.c0;
    b.pe_bits[static_cast<size_t>(t.pe)] += cols * B * ws + rows * B * wr + depth * chunk * (rows + cols) * acc;
  }
  for (const VertexGroup& g : map.groups()) {
    const long n = g.n1 - g.n0;
    if (method == MeshMethod::Sgd) {
      long bits = n * B * ws;  // the input x, the hidden z_l of every chunk (the mask), or the targets
      if (g.layer > 0) bits += depth * chunk * n * (ws + wr + acc);  // a_l (or z_L), d_l out; forward sums in
      if (g.layer > 0 && g.layer < L) bits += depth * chunk * n * acc;  // backward sums in
      b.vertex_bits.push_back(bits);
      continue;
    }
    long bits = n * B * ws;                     // a (or the input x)
    if (g.layer > 0) bits += n * B * (ws + wr)  // z and the residuals u
                             + depth * chunk * n * acc;  // incoming partial sums
    if (g.layer > 0 && g.layer < L) bits += depth * chunk * n * acc;  // and the backward sums
    if (g.layer == 0 && free_input) bits += depth * chunk * n * acc;  // W_1^T u_1 for the free input coordinates
    if (g.layer == L) bits += n * B * ws;       // the targets
    b.vertex_bits.push_back(bits);
  }
  return b;
}

void check_buffers(const MeshBuffers& b, const MeshMapping& map, const MeshConfig& mesh, MeshMethod method) {
  const bool sgd = method == MeshMethod::Sgd;
  const char* fix = mesh.schedule == Schedule::Dataflow ? "smaller --chunk, " : "";
  // SGD stores the batch's activations and errors: a smaller batch is a fix too.
  const char* batch = sgd ? "a smaller batch, " : "";
  for (int p = 0; p < map.pes(); ++p)
    if (b.pe_bits[static_cast<size_t>(p)] > b.pe_capacity_bits)
      throw InputError(fmt::format(
          "PE ({},{}) needs {} bits of SRAM ({}) but --sram-kib {} holds {}; use a larger --sram-kib, {}{}smaller tiles "
          "or a larger mesh",
          p / map.cols(), p % map.cols(), b.pe_bits[static_cast<size_t>(p)],
          sgd ? "weights, accumulators, the batch's stored activations and errors, chunk buffers"
              : "weights, accumulators, activations of the batch and chunk buffers",
          mesh.sram_kib, b.pe_capacity_bits, batch, fix));
  for (size_t g = 0; g < b.vertex_bits.size(); ++g)
    if (b.vertex_bits[g] > b.vertex_capacity_bits) {
      const VertexGroup& grp = map.groups()[g];
      throw InputError(fmt::format(
          "the vertex unit of layer {} neurons {}..{} needs {} bits of SRAM ({}) but --vertex-sram-kib {} holds {}; use "
          "a larger --vertex-sram-kib, {}{}smaller tiles or a larger mesh",
          grp.layer, grp.n0, grp.n1 - 1, b.vertex_bits[g],
          sgd ? "z of the batch stored for the backward wave, and chunk buffers" : "stalks of the batch and chunk buffers",
          mesh.vertex_sram_kib, b.vertex_capacity_bits, batch, fix));
    }
}

}  // namespace sheafsim::mesh
