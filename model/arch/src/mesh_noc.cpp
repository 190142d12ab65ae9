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
    : map_(map), cfg_(cfg), free_(static_cast<size_t>(map.links()), 0), links_(static_cast<size_t>(map.links())) {}

std::uint64_t MeshNoc::transfer(int src_pe, int dst_pe, long bits, std::uint64_t ready, std::uint64_t stall_key,
                                UnitCounters& sender) {
  if (src_pe == dst_pe || bits <= 0) return ready;
  const auto flits = static_cast<std::uint64_t>((bits + cfg_.link_width - 1) / cfg_.link_width);
  std::uint64_t head = ready;
  std::uint64_t hop = 0;
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
    const std::uint64_t start = std::max(head + stall, free_[static_cast<size_t>(link)]);
    c.wait_cycles += start - head;
    c.flits += flits;
    c.busy_cycles += flits;
    free_[static_cast<size_t>(link)] = start + flits;
    if (trace_ != nullptr) trace_->link_transfer(link, head, start, flits, src_pe, dst_pe);
    head = start + static_cast<std::uint64_t>(cfg_.link_latency);
    ++hop;
  }
  sender.flits_sent += flits;
  sender.flit_hops += flits * hop;
  ++sender.messages_sent;
  return head + flits;
}

}  // namespace sheafsim::mesh
