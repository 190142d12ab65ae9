#pragma once
// What the mesh counts, per unit (PE or vertex unit) and per link. Cycles are
// clock cycles of the mesh; bits are SRAM traffic.
#include <cstdint>

namespace sheafsim::mesh {

struct UnitCounters {
  std::uint64_t macs_forward = 0, macs_backward = 0, macs_hebbian = 0;  // multiply-accumulates
  std::uint64_t adds = 0;            // additions outside the MACs (bias terms, reductions, bias sums)
  std::uint64_t register_writes = 0; // rounded writes (residual, stalk, weight, bias registers)
  std::uint64_t sram_read_bits = 0, sram_write_bits = 0;
  // Flits this unit injected into the network (a message of b bits is ceil(b / link_width)
  // flits), the link traversals of those flits (a flit routed over h links is h flit-hops;
  // a transfer inside a PE is none), and the messages sent.
  std::uint64_t flits_sent = 0, flit_hops = 0, messages_sent = 0;
  std::uint64_t busy_cycles = 0;     // computing
  std::uint64_t stall_cycles = 0;    // waiting for inputs or stalled
  std::uint64_t saturations = 0, lost_updates = 0;
  // The output unit's operations (output_unit_cost.h): table lookups, multiplies and divides.
  std::uint64_t lookups = 0, multiplies = 0, divides = 0;

  std::uint64_t macs() const { return macs_forward + macs_backward + macs_hebbian; }

  // Every counter, for sums and scalings.
  static constexpr std::uint64_t UnitCounters::*kFields[] = {
      &UnitCounters::macs_forward,  &UnitCounters::macs_backward,   &UnitCounters::macs_hebbian,
      &UnitCounters::adds,          &UnitCounters::register_writes, &UnitCounters::sram_read_bits,
      &UnitCounters::sram_write_bits, &UnitCounters::flits_sent,    &UnitCounters::flit_hops,
      &UnitCounters::messages_sent, &UnitCounters::busy_cycles,     &UnitCounters::stall_cycles,
      &UnitCounters::saturations,   &UnitCounters::lost_updates,    &UnitCounters::lookups,
      &UnitCounters::multiplies,    &UnitCounters::divides};
  UnitCounters& operator+=(const UnitCounters& o) {
    for (auto f : kFields) this->*f += o.*f;
    return *this;
  }
  UnitCounters& operator*=(std::uint64_t k) {
    for (auto f : kFields) this->*f *= k;
    return *this;
  }
};

struct LinkCounters {
  // Flits carried by this link. Every flit crossing it is one flit-hop, so the sum over
  // links is the flit-hops of the senders (reported as flit_hops), not the flits sent.
  std::uint64_t flits = 0;
  std::uint64_t busy_cycles = 0;   // cycles carrying a flit
  std::uint64_t wait_cycles = 0;   // cycles messages waited for the link (contention and stalls)
};

}  // namespace sheafsim::mesh
