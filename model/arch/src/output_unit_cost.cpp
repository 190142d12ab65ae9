#include "sheafsim/arch/output_unit_cost.h"

#include <algorithm>
#include <cmath>

#include "sheafsim/arch/pe_phase_cost.h"

namespace sheafsim::mesh {

namespace {

constexpr int kLookupLatency = 3;  // address (clamp |z| or z - max), table read, round into the residual format

int ceil_log2(int n) {
  int b = 0;
  while ((1LL << b) < n) ++b;
  return b;
}

// Stalk codes t >= 0 below `limit` (in value), at most the codes of the stalk's range.
std::uint64_t codes_below(double limit, const fx::FixedFormat& s, std::uint64_t range_codes) {
  const double codes = std::ceil(std::ldexp(limit, s.frac_bits));
  return std::min(range_codes, static_cast<std::uint64_t>(codes));
}

}  // namespace

OutputUnitCost output_unit_cost(const MeshConfig& mesh, const FixedConfig& fx, OutputKind kind,
                                std::uint64_t elements, int n_outputs) {
  OutputUnitCost c;
  const std::uint64_t E = elements;
  // The z update after the force: 2 operations per register on the vertex lanes (as a hidden group's).
  const std::uint64_t update_cycles = vertex_chunk_cycles(mesh, E, 2);
  if (kind == OutputKind::Identity) {
    c.register_writes = E;
    c.cycles = update_cycles;
    return c;
  }
  const auto lanes = static_cast<std::uint64_t>(mesh.vertex_lanes);
  const int fr = fx.residual.frac_bits;
  const std::uint64_t n = static_cast<std::uint64_t>(std::max(n_outputs, 1));
  const std::uint64_t samples = E / n;
  c.lanes = mesh.vertex_lanes;
  c.latency_cycles = kLookupLatency;
  const std::uint64_t pass = ceil_div(E, lanes);  // one element per lane and cycle
  if (kind == OutputKind::Sigmoid) {
    // phi(|z|) for |z| below (fr + 1) ln 2 (beyond it 1 - phi < 2^-(fr+1)); phi(-z) = 1 - phi(z).
    c.table_entries = codes_below((fr + 1) * std::log(2.0), fx.stalk, std::uint64_t{1} << (fx.stalk.width() - 1));
    c.entry_bits = fr + 1;
    c.lookups = E;
    c.adds = 2 * E;  // the symmetry 1 - phi, and phi - y
    c.register_writes = 2 * E;  // g_out, z
    c.cycles = pass + kLookupLatency + update_cycles;
    return c;
  }
  // Softmax over the n outputs of a sample: m = max z (n - 1 compares), e = exp(z - m) from the table
  // (t = m - z below (fr + 1 + log2 n) ln 2: beyond it e / sum < 2^-(fr+1)), the sum (n - 1 adds),
  // r = 1 / sum (a divider, one per sample), p = e r, and p - y.
  const int lg = ceil_log2(static_cast<int>(n));
  c.table_entries = codes_below((fr + 1 + lg) * std::log(2.0), fx.stalk, std::uint64_t{1} << fx.stalk.width());
  c.entry_bits = fr + 1 + lg;
  c.divider_latency_cycles = c.entry_bits;
  c.lookups = E;
  c.adds = samples * (n - 1) + E + samples * (n - 1) + E;  // max, z - m, the sum, p - y
  c.multiplies = E;
  c.divides = samples;
  c.register_writes = 2 * E;
  // Three passes over the chunk (max; subtract, look up and sum; normalise and subtract y), the
  // lookup pipeline, the divider (samples issued over the lanes), then the z update.
  c.cycles = 3 * pass + kLookupLatency + ceil_div(samples, lanes) + static_cast<std::uint64_t>(c.divider_latency_cycles) +
             update_cycles;
  return c;
}

void count_output_unit(UnitCounters& c, const OutputUnitCost& cost) {
  c.adds += cost.adds;
  c.register_writes += cost.register_writes;
  c.lookups += cost.lookups;
  c.multiplies += cost.multiplies;
  c.divides += cost.divides;
}

}  // namespace sheafsim::mesh
