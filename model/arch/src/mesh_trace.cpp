#include "sheafsim/arch/mesh_trace.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <stdexcept>

#include <fmt/format.h>

#include "sheafsim/base/error.h"

namespace sheafsim::mesh {

namespace {

int bits_for(std::uint64_t max_value) {
  int b = 1;
  while (b < 64 && (max_value >> b) != 0) ++b;
  return b;
}

// VCD identifier codes: base 94 over the printable characters '!'..'~'.
std::string id_code(std::uint32_t n) {
  std::string s;
  do {
    s.push_back(static_cast<char>('!' + n % 94));
    n /= 94;
  } while (n != 0);
  return s;
}

bool parse_cycles(const std::string& s, std::uint64_t& v) {
  if (s.empty() || s.size() > 19) return false;  // 19 digits always fit in 64 bits
  v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

const char* const kDir[4] = {"east", "west", "south", "north"};

}  // namespace

TraceWindow parse_trace_window(const std::string& text) {
  TraceWindow w;
  if (text.empty()) return w;
  const auto colon = text.find(':');
  const auto bad = [&] {
    return InputError(fmt::format("--trace-window '{}' must be START:END in cycles (e.g. 100:5000, 100: or :5000)", text));
  };
  if (colon == std::string::npos || text.find(':', colon + 1) != std::string::npos) throw bad();
  const std::string a = text.substr(0, colon), b = text.substr(colon + 1);
  if (a.empty() && b.empty()) throw bad();
  if (!a.empty() && !parse_cycles(a, w.start)) throw bad();
  if (!b.empty() && !parse_cycles(b, w.end)) throw bad();
  if (w.end <= w.start)
    throw InputError(fmt::format("--trace-window '{}' is empty: END ({}) must be greater than START ({})", text, w.end,
                                 w.start));
  return w;
}

std::string MeshTrace::link_signal_name(const MeshMapping& map, int link) {
  const int pe = link / 4;
  return fmt::format("link_r{}_c{}_{}", pe / map.cols(), pe % map.cols(), kDir[link % 4]);
}

std::uint32_t MeshTrace::add_signal(const std::string& scope, const std::string& name, int width, std::int64_t idle) {
  const auto n = static_cast<std::uint32_t>(sigs_.size());
  sigs_.push_back({scope, name, id_code(n), width, idle, idle});
  return n;
}

MeshTrace::MeshTrace(const MeshTraceOptions& opt, const MeshMapping& map, bool free_input) : opt_(opt) {
  summary_.path = opt_.path;
  std::error_code ec;
  if (std::filesystem::is_directory(opt_.path, ec))
    throw InputError(fmt::format("{}: is a directory, not a trace file (--trace)", opt_.path));
  tmp_path_ = opt_.path + ".tmp";
  file_ = std::fopen(tmp_path_.c_str(), "wb");
  if (file_ == nullptr)
    throw InputError(fmt::format("{}: cannot open the trace file for writing ({})", opt_.path, std::strerror(errno)));

  const int P = map.pes();
  const auto G = static_cast<std::uint64_t>(map.groups().size());
  const auto T = static_cast<std::uint64_t>(map.tiles().size());
  // Every link a message of this mapping can take (the traffic of docs/architecture.md's step table).
  links_.resize(static_cast<size_t>(map.links()));
  std::uint64_t messages = 0, used = 0;
  const auto mark = [&](int a, int b) {
    ++messages;
    for (int l : map.route(a, b)) links_[static_cast<size_t>(l)].declared = true;
  };
  const auto tile_pe = [&](int ti) { return map.tiles()[static_cast<size_t>(ti)].pe; };
  for (size_t g = 0; g < map.groups().size(); ++g) {
    const int gi = static_cast<int>(g), pe = map.groups()[g].pe;
    // Activations and residuals: along each multicast's tiles (one tile each under vertex reduction).
    for (const auto* casts : {&map.activation_casts(gi), &map.residual_casts(gi)})
      for (const std::vector<int>& cast : *casts) {
        int at = pe;
        for (int ti : cast) {
          mark(at, tile_pe(ti));
          at = tile_pe(ti);
        }
      }
  }
  for (size_t t = 0; t < map.tiles().size(); ++t) {
    const int ti = static_cast<int>(t), pe = map.tiles()[t].pe;
    // Partial sums: to the next tile of the chain, or from its last tile to the vertex groups.
    if (map.fwd_next(ti) >= 0) mark(pe, tile_pe(map.fwd_next(ti)));
    else
      for (int g : map.row_groups(ti)) mark(pe, map.groups()[static_cast<size_t>(g)].pe);
    if (map.tiles()[t].layer < 2 && !(free_input && map.tiles()[t].layer == 1)) continue;
    if (map.bwd_next(ti) >= 0) mark(pe, tile_pe(map.bwd_next(ti)));
    else
      for (int g : map.col_groups(ti)) mark(pe, map.groups()[static_cast<size_t>(g)].pe);
  }
  for (const LinkSignals& l : links_) used += l.declared ? 1 : 0;

  step_ = add_signal("", "step", 32, kX);
  joint_ = add_signal("", "joint", 1, 0);
  pes_busy_ = add_signal("", "pes_busy", bits_for(static_cast<std::uint64_t>(P)), 0);
  vus_busy_ = add_signal("", "vus_busy", bits_for(G), 0);
  links_busy_ = add_signal("", "links_busy", bits_for(used), 0);
  units_.resize(static_cast<size_t>(P) + G);
  const int tile_w = bits_for(T > 0 ? T - 1 : 0);
  for (int p = 0; p < P; ++p) {
    const std::string scope = fmt::format("pe_r{}_c{}", p / map.cols(), p % map.cols());
    UnitSignals& u = units_[static_cast<size_t>(p)];
    u.pe = true;
    u.busy = add_signal(scope, "busy", 1, 0);
    u.wait = add_signal(scope, "wait", 1, 0);
    u.stall = add_signal(scope, "stall", 1, 0);
    u.phase = add_signal(scope, "phase", 3, kPhaseIdle);
    u.tile = add_signal(scope, "tile", tile_w, kX);
  }
  for (size_t g = 0; g < map.groups().size(); ++g) {
    const VertexGroup& grp = map.groups()[g];
    const std::string scope = fmt::format("vu_l{}_n{}", grp.layer, grp.n0);
    UnitSignals& u = units_[static_cast<size_t>(P) + g];
    u.busy = add_signal(scope, "busy", 1, 0);
    u.wait = add_signal(scope, "wait", 1, 0);
    u.stall = add_signal(scope, "stall", 1, 0);
    u.phase = add_signal(scope, "phase", 3, kPhaseIdle);
  }
  const int pe_w = bits_for(static_cast<std::uint64_t>(P - 1));
  for (int l = 0; l < map.links(); ++l) {
    LinkSignals& s = links_[static_cast<size_t>(l)];
    if (!s.declared) continue;
    const std::string name = link_signal_name(map, l);
    s.busy = add_signal("links", name, 1, 0);
    s.src = add_signal("links", name + "_src", pe_w, kX);
    s.dst = add_signal("links", name + "_dst", pe_w, kX);
    s.queue = add_signal("links", name + "_queue", bits_for(messages), 0);
  }
  is_touched_.assign(sigs_.size(), 0);
  summary_.signals = sigs_.size();
  write_header(map);
}

MeshTrace::~MeshTrace() {
  if (file_ == nullptr) return;
  std::fclose(file_);
  std::remove(tmp_path_.c_str());
}

void MeshTrace::write_header(const MeshMapping& map) {
  const TraceWindow& w = opt_.window;
  out_ += "$version sheafsim mesh model (sheafsim simulate --trace) $end\n";
  out_ += "$comment\n";
  out_ += fmt::format("  {}x{} mesh: {} PEs, {} tiles, {} vertex units; one cycle = 1 ns (--clock-mhz scales reported\n"
                      "  times only). Window: cycles [{}, {}).\n",
                      map.rows(), map.cols(), map.pes(), map.tiles().size(), map.groups().size(), w.start,
                      w.end == TraceWindow::kOpen ? std::string("end of run") : std::to_string(w.end));
  out_ += "  Per unit: busy = computing, wait = waiting for its inputs, stall = random stall, none = idle.\n"
          "  phase: 0 idle, 1 forward, 2 backward, 3 hebbian, 4 weight update, 7 merge (PE); 5 residual, 6 stalk update (vertex).\n"
          "  Per link: 1 while carrying flits; _src, _dst: PE index (row * cols + col) of the message's ends;\n"
          "  _queue: message heads waiting for the link. docs/file-formats.md has the details.\n";
  for (size_t t = 0; t < map.tiles().size(); ++t) {
    const Tile& tl = map.tiles()[t];
    out_ += fmt::format("  tile {}: W_{} rows {}:{} cols {}:{} on pe_r{}_c{}\n", t, tl.layer, tl.r0, tl.r1, tl.c0, tl.c1,
                        tl.pe / map.cols(), tl.pe % map.cols());
  }
  for (const VertexGroup& g : map.groups())
    out_ += fmt::format("  vu_l{}_n{}: neurons {}:{} of layer {} at pe_r{}_c{}\n", g.layer, g.n0, g.n0, g.n1, g.layer,
                        g.pe / map.cols(), g.pe % map.cols());
  out_ += "$end\n$timescale 1ns $end\n$scope module mesh $end\n";
  std::string scope;
  for (const Signal& s : sigs_) {
    if (s.scope != scope) {
      if (!scope.empty()) out_ += "$upscope $end\n";
      if (!s.scope.empty()) out_ += fmt::format("$scope module {} $end\n", s.scope);
      scope = s.scope;
    }
    out_ += fmt::format("$var wire {} {} {} $end\n", s.width, s.id, s.name);
  }
  if (!scope.empty()) out_ += "$upscope $end\n";
  out_ += "$upscope $end\n$enddefinitions $end\n";
  emit();
}

void MeshTrace::level(std::uint32_t sig, std::uint64_t a, std::uint64_t b, std::int64_t v) {
  const TraceWindow& w = opt_.window;
  if (b <= a || b <= w.start || a >= w.end) return;
  events_.push_back({std::max(a, w.start), sig, 1, v});
  if (b < w.end) events_.push_back({b, sig, 0, 0});
}

void MeshTrace::count(std::uint32_t sig, std::uint64_t a, std::uint64_t b) {
  const TraceWindow& w = opt_.window;
  if (b <= a || b <= w.start || a >= w.end) return;
  events_.push_back({std::max(a, w.start), sig, 2, 1});
  if (b < w.end) events_.push_back({b, sig, 2, -1});
}

void MeshTrace::unit_wait(std::uint64_t unit, std::uint64_t t0, std::uint64_t t1, std::uint64_t key) {
  const UnitSignals& u = units_[static_cast<size_t>(unit)];
  level(u.wait, t0, t1, 1);
  level(u.phase, t0, t1, static_cast<std::int64_t>(key & 0xff));
  if (u.pe) level(u.tile, t0, t1, static_cast<std::int64_t>(key >> 8));
}

void MeshTrace::unit_busy(std::uint64_t unit, std::uint64_t t, std::uint64_t cycles, std::uint64_t stall,
                          std::uint64_t key) {
  const UnitSignals& u = units_[static_cast<size_t>(unit)];
  level(u.busy, t, t + cycles, 1);
  count(u.pe ? pes_busy_ : vus_busy_, t, t + cycles);
  level(u.stall, t + cycles, t + cycles + stall, 1);
  level(u.phase, t, t + cycles + stall, static_cast<std::int64_t>(key & 0xff));
  if (u.pe) level(u.tile, t, t + cycles + stall, static_cast<std::int64_t>(key >> 8));
}

void MeshTrace::link_transfer(int link, std::uint64_t head, std::uint64_t start, std::uint64_t flits, int src_pe,
                              int dst_pe) {
  const LinkSignals& l = links_[static_cast<size_t>(link)];
  if (!l.declared) throw std::logic_error(fmt::format("mesh trace: link {} carries traffic but is not declared", link));
  level(l.busy, start, start + flits, 1);
  level(l.src, start, start + flits, src_pe);
  level(l.dst, start, start + flits, dst_pe);
  count(links_busy_, start, start + flits);
  count(l.queue, head, start);
}

void MeshTrace::step(std::uint64_t index, std::uint64_t t0, std::uint64_t t1, bool joint, std::uint64_t settled) {
  run_end_ = std::max(run_end_, t1);
  level(step_, t0, t1, static_cast<std::int64_t>(index & 0xffffffffu));
  level(joint_, t0, t1, joint ? 1 : 0);
  flush(std::min(t1, settled));
}

void MeshTrace::put_value(const Signal& s) {
  if (s.width == 1) {
    out_ += s.value == kX ? 'x' : s.value != 0 ? '1' : '0';
  } else if (s.value == kX) {
    out_ += "bx ";
  } else {
    const auto v = static_cast<std::uint64_t>(s.value);
    fmt::format_to(std::back_inserter(out_), "b{:b} ", s.width >= 64 ? v : v & ((std::uint64_t{1} << s.width) - 1));
  }
  out_ += s.id;
  out_ += '\n';
}

void MeshTrace::write_dumpvars() {
  out_ += fmt::format("#{}\n$dumpvars\n", opt_.window.start);
  for (const Signal& s : sigs_) put_value(s);
  out_ += "$end\n";
  dumped_ = true;
  summary_.first = summary_.last = opt_.window.start;
  ++summary_.timestamps;
}

void MeshTrace::flush(std::uint64_t upto) {
  std::stable_sort(events_.begin(), events_.end(), [](const Event& x, const Event& y) {
    if (x.t != y.t) return x.t < y.t;
    if (x.sig != y.sig) return x.sig < y.sig;
    return x.kind < y.kind;  // a reset before a set at the same cycle: back-to-back intervals
  });
  size_t i = 0;
  while (i < events_.size() && events_[i].t < upto) {
    const std::uint64_t t = events_[i].t;
    if (dumped_ && t < summary_.last)
      throw std::logic_error(fmt::format("mesh trace: a change at cycle {} after cycle {} was written", t, summary_.last));
    const bool initial = !dumped_ && t == opt_.window.start;
    if (!dumped_ && !initial) write_dumpvars();
    touched_.clear();
    before_.clear();
    for (; i < events_.size() && events_[i].t == t; ++i) {
      const Event& e = events_[i];
      Signal& s = sigs_[e.sig];
      if (!is_touched_[e.sig]) {
        is_touched_[e.sig] = 1;
        touched_.push_back(e.sig);
        before_.push_back(s.value);
      }
      if (e.kind == 0) {
        s.value = s.idle;
      } else if (e.kind == 1) {
        s.value = e.value;
      } else {
        s.value = (s.value == kX ? 0 : s.value) + e.value;
      }
    }
    for (std::uint32_t sig : touched_) is_touched_[sig] = 0;
    if (initial) {  // the changes at the window's first cycle are its initial values
      write_dumpvars();
      continue;
    }
    bool stamped = t == summary_.last;  // the $dumpvars cycle already has its "#t"
    for (size_t k = 0; k < touched_.size(); ++k) {
      const Signal& s = sigs_[touched_[k]];
      if (s.value == before_[k]) continue;
      if (!stamped) {
        fmt::format_to(std::back_inserter(out_), "#{}\n", t);
        stamped = true;
        summary_.last = t;
        ++summary_.timestamps;
      }
      put_value(s);
      ++summary_.changes;
    }
  }
  events_.erase(events_.begin(), events_.begin() + static_cast<std::ptrdiff_t>(i));
  if (out_.size() >= (1u << 20)) emit();
}

void MeshTrace::emit() {
  if (!out_.empty() && file_ != nullptr) {
    std::fwrite(out_.data(), 1, out_.size(), file_);
    summary_.bytes += out_.size();
  }
  out_.clear();
}

TraceSummary MeshTrace::finish() {
  if (finished_) return summary_;
  finished_ = true;
  flush(TraceWindow::kOpen);
  if (!dumped_) write_dumpvars();
  const std::uint64_t end = std::min(opt_.window.end, run_end_);
  if (end > summary_.last) {
    out_ += fmt::format("#{}\n", end);
    summary_.last = end;
    ++summary_.timestamps;
  }
  emit();
  const bool ok = std::fflush(file_) == 0 && std::ferror(file_) == 0;
  const int err = errno;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!ok || !closed) {
    std::remove(tmp_path_.c_str());
    throw InputError(fmt::format("{}: cannot write the trace file ({})", opt_.path, std::strerror(err)));
  }
  if (std::rename(tmp_path_.c_str(), opt_.path.c_str()) != 0) {
    std::remove(tmp_path_.c_str());
    throw InputError(fmt::format("{}: cannot rename the temporary trace file into place", opt_.path));
  }
  return summary_;
}

}  // namespace sheafsim::mesh
