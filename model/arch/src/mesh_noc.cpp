#include "sheafsim/arch/mesh_noc.h"

#include <algorithm>

#include "sheafsim/fixed/fixed_point.h"
#include "sheafsim/arch/mesh_trace.h"

namespace sheafsim::mesh {

std::uint64_t random_stall(const MeshConfig& cfg, std::uint64_t key) {
  if (cfg.random_stalls == 0) return 0;
  return fx::mix64(fx::mix64(cfg.random_stalls) ^ key) % static_cast<std::uint64_t>(cfg.max_stall + 1);
}

MeshNoc::MeshNoc(const MeshMapping& map, const MeshConfig& cfg)
    : map_(map), cfg_(cfg), busy_(static_cast<size_t>(map.links())), links_(static_cast<size_t>(map.links())) {}

void MeshNoc::forget_before(std::uint64_t t) {
  for (BusyCalendar& c : busy_) c.forget_before(t);
}

std::uint64_t MeshNoc::route(int src_pe, int dst_pe, std::uint64_t flits, std::uint64_t head,
                             std::uint64_t stall_key, std::uint64_t& hops) {
  // The links of MeshMapping::route(src_pe, dst_pe) (X then Y), walked without building the list.
  const int cols = map_.cols();
  int r = src_pe / cols, c0 = src_pe % cols;
  const int rb = dst_pe / cols, cb = dst_pe % cols;
  while (c0 != cb || r != rb) {
    int link = 0;
    if (c0 != cb) {
      link = (r * cols + c0) * 4 + (cb > c0 ? 0 : 1);
      c0 += cb > c0 ? 1 : -1;
    } else {
      link = (r * cols + c0) * 4 + (rb > r ? 2 : 3);
      r += rb > r ? 1 : -1;
    }
    auto& c = links_[static_cast<size_t>(link)];
    const std::uint64_t stall = random_stall(cfg_, fx::mix64(stall_key ^ (static_cast<std::uint64_t>(link) << 40)));
    const std::uint64_t start = busy_[static_cast<size_t>(link)].reserve(head + stall, flits);
    c.wait_cycles += start - head;
    c.flits += flits;
    c.busy_cycles += flits;
    if (trace_ != nullptr) trace_->link_transfer(link, head, start, flits, src_pe, dst_pe);
    head = start + static_cast<std::uint64_t>(cfg_.link_latency);
    ++hops;
  }
  return head;
}

std::uint64_t MeshNoc::transfer(int src_pe, int dst_pe, long bits, std::uint64_t ready, std::uint64_t stall_key,
                                UnitCounters& sender) {
  if (src_pe == dst_pe || bits <= 0) return ready;
  const auto flits = static_cast<std::uint64_t>((bits + cfg_.link_width - 1) / cfg_.link_width);
  std::uint64_t hops = 0;
  const std::uint64_t head = route(src_pe, dst_pe, flits, ready, stall_key, hops);
  sender.flits_sent += flits;
  sender.flit_hops += flits * hops;
  ++sender.messages_sent;
  return head + flits;
}

void MeshNoc::multicast(int src_pe, const int* dst, size_t n, long bits, std::uint64_t ready, std::uint64_t stall_key,
                        UnitCounters& sender, std::uint64_t* arrival) {
  const auto flits = bits > 0 ? static_cast<std::uint64_t>((bits + cfg_.link_width - 1) / cfg_.link_width) : 0;
  std::uint64_t hops = 0, head = ready;
  int at = src_pe;
  for (size_t i = 0; i < n; ++i) {
    if (dst[i] == at || flits == 0) {  // already there: no link
      arrival[i] = i == 0 || dst[i] == src_pe ? ready : arrival[i - 1];
      continue;
    }
    head = route(at, dst[i], flits, head, fx::mix64(stall_key ^ i), hops);
    arrival[i] = head + flits;
    at = dst[i];
  }
  if (hops == 0) return;
  sender.flits_sent += flits;
  sender.flit_hops += flits * hops;
  ++sender.messages_sent;
}

}  // namespace sheafsim::mesh
