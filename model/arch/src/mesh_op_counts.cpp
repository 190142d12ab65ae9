#include "sheafsim/arch/mesh_op_counts.h"

#include <algorithm>

#include "sheafsim/arch/output_unit_cost.h"
#include "sheafsim/arch/pe_phase_cost.h"

namespace sheafsim::mesh {

namespace {

std::uint64_t u(long long v) { return static_cast<std::uint64_t>(v); }

// Overlap of [a0, a1) and [b0, b1).
std::uint64_t overlap(int a0, int a1, int b0, int b1) { return u(std::max(0, std::min(a1, b1) - std::max(a0, b0))); }

}  // namespace

UnitCounters MeshStepCounts::pe_totals() const {
  UnitCounters t;
  for (const UnitCounters& c : pes) t += c;
  return t;
}

UnitCounters MeshStepCounts::vertex_totals() const {
  UnitCounters t;
  for (const UnitCounters& c : groups) t += c;
  return t;
}

std::uint64_t MeshStepCounts::link_flits_total() const {
  std::uint64_t n = 0;
  for (std::uint64_t f : link_flits) n += f;
  return n;
}

std::uint64_t MeshStepCounts::busy_cycles_max_unit() const {
  std::uint64_t m = 0;
  for (const UnitCounters& c : pes) m = std::max(m, c.busy_cycles);
  for (const UnitCounters& c : groups) m = std::max(m, c.busy_cycles);
  return m;
}

std::uint64_t MeshStepCounts::link_flits_max() const {
  return link_flits.empty() ? 0 : *std::max_element(link_flits.begin(), link_flits.end());
}

MeshStepCounts& MeshStepCounts::operator+=(const MeshStepCounts& o) {
  pes.resize(std::max(pes.size(), o.pes.size()));
  groups.resize(std::max(groups.size(), o.groups.size()));
  link_flits.resize(std::max(link_flits.size(), o.link_flits.size()), 0);
  for (size_t i = 0; i < o.pes.size(); ++i) pes[i] += o.pes[i];
  for (size_t i = 0; i < o.groups.size(); ++i) groups[i] += o.groups[i];
  for (size_t i = 0; i < o.link_flits.size(); ++i) link_flits[i] += o.link_flits[i];
  merge_adds += o.merge_adds;
  return *this;
}

MeshStepCounts MeshStepCounts::scaled(std::uint64_t k) const {
  MeshStepCounts s = *this;
  for (UnitCounters& c : s.pes) c *= k;
  for (UnitCounters& c : s.groups) c *= k;
  for (std::uint64_t& f : s.link_flits) f *= k;
  s.merge_adds *= k;
  return s;
}

namespace {

// A step of either method (the PEs' work of an SGD step is a joint step's).
MeshStepCounts step_counts(const MeshMapping& map, const MeshConfig& mesh, const FixedConfig& fx, std::uint64_t B,
                           int L, bool joint, OutputKind output, MeshMethod method, bool free_input = false) {
  MeshStepCounts r;
  r.pes.assign(static_cast<size_t>(map.pes()), UnitCounters{});
  r.groups.assign(map.groups().size(), UnitCounters{});
  r.link_flits.assign(static_cast<size_t>(map.links()), 0);
  const std::uint64_t ws = u(fx.stalk.width()), wr = u(fx.residual.width());
  // A message of `values` values of `bits` bits from PE a along the PEs
  // dst[0..n) (mesh_noc.cpp: one destination a transfer, several a multicast;
  // X-then-Y routes, nothing within a PE): counted at the sender, its flits
  // injected once, every link crossed a flit-hop.
  auto send = [&](UnitCounters& sender, int a, const int* dst, size_t n, std::uint64_t values, std::uint64_t bits) {
    const std::uint64_t total = values * bits;
    if (total == 0) return;
    const std::uint64_t flits = ceil_div(total, u(mesh.link_width));
    std::uint64_t hops = 0;
    for (int at = a; n > 0; ++dst, --n) {
      if (*dst == at) continue;
      const std::vector<int> route = map.route(at, *dst);
      for (int link : route) r.link_flits[static_cast<size_t>(link)] += flits;
      hops += route.size();
      at = *dst;
    }
    if (hops == 0) return;
    sender.flits_sent += flits;
    sender.flit_hops += flits * hops;
    ++sender.messages_sent;
  };
  std::vector<int> pes;  // a multicast's PEs
  auto cast = [&](UnitCounters& sender, int a, const std::vector<int>& tiles, std::uint64_t values,
                  std::uint64_t bits) {
    pes.clear();
    for (int ti : tiles) pes.push_back(map.tiles()[static_cast<size_t>(ti)].pe);
    send(sender, a, pes.data(), pes.size(), values, bits);
  };
  // Does weight edge `layer` need its residuals back (MeshContext::needs_residuals)?
  auto needs_residuals = [&](int layer) { return layer >= 2 || joint || (layer == 1 && free_input); };
  // Does it send backward sums W^T u to the layer below (MeshContext::backward_sums)?
  auto backward_sums = [&](int layer) { return layer >= 2 || (layer == 1 && free_input); };

  const std::uint64_t C = mesh.chunks(B);

  // Edge PEs (edge_pe.cpp), tile by tile and chunk by chunk: each phase's cost
  // (pe_phase_cost.h), the sums passed along its chain (in-network reduction)
  // and, from a chain's last tile, to the vertex groups of the rows (forward)
  // or the columns (backward).
  for (size_t ti = 0; ti < map.tiles().size(); ++ti) {
    const Tile& t = map.tiles()[ti];
    const int tix = static_cast<int>(ti);
    UnitCounters& c = r.pes[static_cast<size_t>(t.pe)];
    auto phase = [&](const PePhaseCost& p, std::uint64_t UnitCounters::*macs) {
      count_phase(c, p, macs);
      c.busy_cycles += p.cycles;
    };
    auto sums = [&](bool forward, std::uint64_t n) {
      const int lo = forward ? t.r0 : t.c0, hi = forward ? t.r1 : t.c1;
      const auto inputs = u(forward ? map.fwd_inputs(tix) : map.bwd_inputs(tix));
      if (inputs > 0) {
        const PePhaseCost merge = pe_merge_cost(u(hi - lo) * n, inputs, mesh);
        phase(merge, &UnitCounters::macs_forward);  // adds only
        r.merge_adds += merge.adds;
      }
      const int next = forward ? map.fwd_next(tix) : map.bwd_next(tix);
      const auto bits = u(forward ? forward_sum_bits(map, fx, tix) : backward_sum_bits(map, fx, tix));
      if (next >= 0) {
        send(c, t.pe, &map.tiles()[static_cast<size_t>(next)].pe, 1, u(hi - lo) * n, bits);
        return;
      }
      for (int g : forward ? map.row_groups(tix) : map.col_groups(tix)) {
        const VertexGroup& grp = map.groups()[static_cast<size_t>(g)];
        send(c, t.pe, &grp.pe, 1, overlap(lo, hi, grp.n0, grp.n1) * n, bits);
      }
    };
    for (std::uint64_t k = 0; k < C; ++k) {
      const std::uint64_t n = mesh.chunk_size(B, k);
      phase(pe_forward_cost(t, n, mesh, fx), &UnitCounters::macs_forward);
      sums(true, n);
      if (!needs_residuals(t.layer)) continue;
      if (backward_sums(t.layer)) {  // backward partial sums W^T u for the layer below
        phase(pe_backward_cost(t, n, mesh, fx), &UnitCounters::macs_backward);
        sums(false, n);
      }
    }
    // Hebbian sums over the batch, then the write-back of every weight and bias.
    if (joint && needs_residuals(t.layer)) {
      phase(pe_hebbian_cost(t, B, mesh), &UnitCounters::macs_hebbian);
      phase(pe_update_cost(t, mesh, fx), &UnitCounters::macs_hebbian);
    }
  }

  // An SGD chunk of a vertex unit (vertex_sgd.cpp): a hidden group reduces the
  // forward sums into z and a (sent to the next layer's tiles), then the
  // backward sums into d (sent back to its own layer's tiles); the output
  // group reduces the forward sums into z, its output unit gives d_L.
  auto sgd_vertex_chunk = [&](const VertexGroup& g, int gidx, std::uint64_t n, std::uint64_t elems, UnitCounters& c) {
    const std::uint64_t fwd_msgs = map.fwd_senders(gidx).size();
    c.adds += elems * fwd_msgs;
    if (g.layer < L) {
      c.register_writes += 2 * elems;
      c.busy_cycles += vertex_chunk_cycles(mesh, elems, fwd_msgs + 2);
      for (const std::vector<int>& tiles : map.activation_casts(gidx)) {
        const Tile& t = map.tiles()[static_cast<size_t>(tiles.front())];
        cast(c, g.pe, tiles, overlap(t.c0, t.c1, g.n0, g.n1) * n, ws);
      }
      const std::uint64_t bwd_msgs = map.bwd_senders(gidx).size();
      c.adds += elems * bwd_msgs;
      c.register_writes += elems;
      c.busy_cycles += vertex_chunk_cycles(mesh, elems, bwd_msgs + 1);
    } else {
      c.register_writes += elems;
      c.busy_cycles += vertex_chunk_cycles(mesh, elems, fwd_msgs + 1);
      const OutputUnitCost oc = output_unit_cost(mesh, fx, output, elems, g.n1 - g.n0);
      count_output_unit(c, oc);
      c.busy_cycles += oc.cycles;
    }
    for (const std::vector<int>& tiles : map.residual_casts(gidx)) {
      const Tile& t = map.tiles()[static_cast<size_t>(tiles.front())];
      cast(c, g.pe, tiles, overlap(t.r0, t.r1, g.n0, g.n1) * n, wr);
    }
  };

  // Vertex units (vertex_unit.cpp), group by group and chunk by chunk.
  for (size_t gi = 0; gi < map.groups().size(); ++gi) {
    const VertexGroup& g = map.groups()[gi];
    UnitCounters& c = r.groups[gi];
    const int gidx = static_cast<int>(gi);
    for (std::uint64_t k = 0; k < C; ++k) {
      const std::uint64_t n = mesh.chunk_size(B, k);
      // Multicast of the activations (or the input) to the tiles that read them
      // (SGD: a hidden group's leave after its forward reduction, below).
      if (method == MeshMethod::Sheaf || g.layer == 0) {
        for (const std::vector<int>& tiles : map.activation_casts(gidx)) {
          const Tile& t = map.tiles()[static_cast<size_t>(tiles.front())];
          cast(c, g.pe, tiles, overlap(t.c0, t.c1, g.n0, g.n1) * n, ws);
        }
      }
      const std::uint64_t elems = u(g.n1 - g.n0) * n;
      if (g.layer == 0) {  // the pinned input only sends, unless the pins free input coordinates:
        if (free_input && method == MeshMethod::Sheaf) {  // then it reduces W_1^T u_1 and writes x
          const std::uint64_t bwd_msgs = map.bwd_senders(gidx).size();
          c.adds += elems * bwd_msgs;
          c.register_writes += elems;
          c.busy_cycles += vertex_chunk_cycles(mesh, elems, bwd_msgs + 1);
        }
        continue;
      }
      if (method == MeshMethod::Sgd) {
        sgd_vertex_chunk(g, gidx, n, elems, c);
        continue;
      }
      // Residuals: reduce the forward sums (one add per message and element), round, multicast back.
      const std::uint64_t fwd_msgs = map.fwd_senders(gidx).size();
      c.adds += elems * fwd_msgs;
      c.register_writes += elems;
      c.busy_cycles += vertex_chunk_cycles(mesh, elems, fwd_msgs + 1);
      if (needs_residuals(g.layer))
        for (const std::vector<int>& tiles : map.residual_casts(gidx)) {
          const Tile& t = map.tiles()[static_cast<size_t>(tiles.front())];
          cast(c, g.pe, tiles, overlap(t.r0, t.r1, g.n0, g.n1) * n, wr);
        }
      // Stalk update: hidden layers reduce the backward sums and write z and a; the output writes z.
      if (g.layer < L) {
        const std::uint64_t bwd_msgs = map.bwd_senders(gidx).size();
        c.adds += elems * bwd_msgs;
        c.register_writes += 2 * elems;
        c.busy_cycles += vertex_chunk_cycles(mesh, elems, bwd_msgs + 2);
      } else {
        const OutputUnitCost oc = output_unit_cost(mesh, fx, output, elems, g.n1 - g.n0);
        count_output_unit(c, oc);
        c.busy_cycles += oc.cycles;
      }
    }
  }
  return r;
}

}  // namespace

MeshStepCounts mesh_step_counts(const MeshMapping& map, const MeshConfig& mesh, const FixedConfig& fx,
                                std::uint64_t B, int L, bool joint, OutputKind output, bool free_input) {
  return step_counts(map, mesh, fx, B, L, joint, output, MeshMethod::Sheaf, free_input);
}

MeshStepCounts mesh_sgd_step_counts(const MeshMapping& map, const MeshConfig& mesh, const FixedConfig& fx,
                                    std::uint64_t B, int L, OutputKind output) {
  return step_counts(map, mesh, fx, B, L, true, output, MeshMethod::Sgd);
}

MeshStepCounts mesh_run_counts(const MeshMapping& map, const MeshConfig& mesh, const FixedConfig& fx,
                               std::uint64_t batch, int depth, long steps, int inner, OutputKind output) {
  const long K = inner < 1 ? 1 : inner;
  const std::uint64_t joint = u(steps / K), diffusion = u(steps) - joint;
  MeshStepCounts r = mesh_step_counts(map, mesh, fx, batch, depth, false, output).scaled(diffusion);
  r += mesh_step_counts(map, mesh, fx, batch, depth, true, output).scaled(joint);
  return r;
}

nlohmann::json counters_json(const UnitCounters& c) {
  return {{"macs_forward", c.macs_forward},     {"macs_backward", c.macs_backward},
          {"macs_hebbian", c.macs_hebbian},     {"adds", c.adds},
          {"register_writes", c.register_writes}, {"sram_read_bits", c.sram_read_bits},
          {"sram_write_bits", c.sram_write_bits}, {"flits_sent", c.flits_sent},
          {"flit_hops", c.flit_hops},           {"messages_sent", c.messages_sent},
          {"busy_cycles", c.busy_cycles}};
}

}  // namespace sheafsim::mesh
