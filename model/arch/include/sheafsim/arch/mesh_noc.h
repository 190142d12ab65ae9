#pragma once
// The network of neighbour links. A transfer of `bits` from PE a to PE b is
// cut into flits of link_width bits and follows the X-then-Y route; on each
// link the head waits until the link has a free interval for the message's
// flits (contention; busy_calendar.h), the link then carries them back to
// back, and the head moves on after link_latency cycles. The tail arrives
// flits cycles after the head. A transfer within one PE is free.
// Reservations are made in the order the senders run, so the timing is
// reproducible; the values never depend on it.
#include <cstdint>
#include <vector>

#include "sheafsim/arch/busy_calendar.h"
#include "sheafsim/arch/mesh_counters.h"
#include "sheafsim/arch/mesh_mapping.h"

namespace sheafsim::mesh {

class MeshTrace;

class MeshNoc {
 public:
  MeshNoc(const MeshMapping& map, const MeshConfig& cfg);
  // Reserves the route for a message ready at cycle `ready`; returns the
  // cycle its last flit arrives. `stall_key` seeds the random link stalls.
  std::uint64_t transfer(int src_pe, int dst_pe, long bits, std::uint64_t ready, std::uint64_t stall_key,
                         UnitCounters& sender);
  // A multicast along the PEs dst[0..n) in order (in-network distribution):
  // each forwards the flits to the next as they arrive (cut-through). One
  // message, its flits injected once; every link crossed is a flit-hop.
  // arrival[i] is the cycle the last flit reaches dst[i].
  void multicast(int src_pe, const int* dst, size_t n, long bits, std::uint64_t ready, std::uint64_t stall_key,
                 UnitCounters& sender, std::uint64_t* arrival);
  const std::vector<LinkCounters>& links() const { return links_; }
  // No message will be ready before cycle t: drops the older reservations.
  void forget_before(std::uint64_t t);
  // Reports every link reservation to `trace` (null: none).
  void set_trace(MeshTrace* trace) { trace_ = trace; }

 private:
  // Routes `flits` from a to b, the head leaving at `head`; returns the head's arrival and adds the hops.
  std::uint64_t route(int a, int b, std::uint64_t flits, std::uint64_t head, std::uint64_t stall_key,
                      std::uint64_t& hops);
  const MeshMapping& map_;
  MeshConfig cfg_;
  std::vector<BusyCalendar> busy_;  // per link: when it carries flits
  std::vector<LinkCounters> links_;
  MeshTrace* trace_ = nullptr;
};

// A random stall in [0, max] cycles from a counter-based hash of the key (0 when stalls are off).
std::uint64_t random_stall(const MeshConfig& cfg, std::uint64_t key);

}  // namespace sheafsim::mesh
