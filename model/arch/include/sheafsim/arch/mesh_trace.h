#pragma once
// An optional VCD waveform of the mesh (`sheafsim simulate --trace FILE
// --trace-window START:END`): per PE and vertex unit when it computes, waits
// for its inputs, is stalled or idle, in which phase (and, for a PE, on which
// tile); per used link when it carries flits, whose message (source and
// destination PE) and how many message heads queue for it; per step its index
// and whether it is a joint (training) step. docs/file-formats.md describes
// the signals and encodings.
//
// The model is temporally decoupled, so nothing here samples signals: the
// units report intervals of absolute cycles as they annotate them (MeshUnit's
// busy() and gather(), MeshNoc's link reservations) and the engine reports
// each step when the kernel has finished it. Intervals are clipped to the
// window at once (nothing outside it is kept), buffered for one step, sorted
// and written in time order when the step ends, because a link can be
// reserved before earlier activity of other units is known. Recording never
// changes a value, a counter or a cycle of the simulation.
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "sheafsim/arch/mesh_mapping.h"

namespace sheafsim::mesh {

// Cycles [start, end) of the run (cycle 0 is the start of its first step).
struct TraceWindow {
  static constexpr std::uint64_t kOpen = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t start = 0, end = kOpen;  // kOpen: to the end of the run
};

// "START:END", "START:" (to the end), ":END" (from cycle 0) or "" (the whole
// run), in cycles. Throws InputError naming the option and the problem.
TraceWindow parse_trace_window(const std::string& text);

struct MeshTraceOptions {
  std::string path;  // the VCD file; empty: no trace
  TraceWindow window;
  bool enabled() const { return !path.empty(); }
};

// What finish() wrote.
struct TraceSummary {
  std::string path;
  std::uint64_t bytes = 0;
  std::uint64_t signals = 0;
  std::uint64_t changes = 0;     // value changes after the initial $dumpvars
  std::uint64_t timestamps = 0;  // "#t" lines, the $dumpvars one included
  std::uint64_t first = 0, last = 0;  // the first and last timestamp
};

// Phase codes of the `phase` signals: the low 8 bits of the phase key that
// EdgePe and VertexUnit pass to MeshUnit::busy().
enum TracePhase : unsigned {
  kPhaseIdle = 0,
  kPhaseForward = 1,   // PE: forward partial sums W a (+ b)
  kPhaseBackward = 2,  // PE: backward partial sums W^T u
  kPhaseHebbian = 3,   // PE: Hebbian sums u a^T, sum u
  kPhaseUpdate = 4,    // PE: weight and bias write-back
  kPhaseResidual = 5,  // vertex unit: reduce the forward sums into residuals
  kPhaseStalk = 6,     // vertex unit: reduce the backward sums, Euler update of z, a
  kPhaseMerge = 7,     // PE: add its partial sums to the passing sums (in-network reduction)
};

class MeshTrace {
 public:
  // Opens "<path>.tmp" and writes the header (finish() renames it into
  // place). Throws InputError when the file cannot be written. With
  // free_input the layer-1 tiles' backward sums (free input pins) are traffic too.
  MeshTrace(const MeshTraceOptions& opt, const MeshMapping& map, bool free_input = false);
  // Without finish() (a run that failed) the temporary file is removed: a
  // file under the final name is always complete.
  ~MeshTrace();
  MeshTrace(const MeshTrace&) = delete;
  MeshTrace& operator=(const MeshTrace&) = delete;

  // Recording, in absolute cycles. `unit`: PE p is p, vertex group g is pes + g.
  // Waiting for inputs over [t0, t1) before the chunk of phase key `key`.
  void unit_wait(std::uint64_t unit, std::uint64_t t0, std::uint64_t t1, std::uint64_t key);
  // A chunk: computing over [t, t + cycles), then a random stall of `stall` cycles.
  void unit_busy(std::uint64_t unit, std::uint64_t t, std::uint64_t cycles, std::uint64_t stall, std::uint64_t key);
  // A message's head reached `link` at `head`, the link carries its flits over [start, start + flits).
  void link_transfer(int link, std::uint64_t head, std::uint64_t start, std::uint64_t flits, int src_pe, int dst_pe);
  // Step `index` ran over [t0, t1) (joint: with parameter writes); writes everything before
  // min(t1, settled): under the dataflow schedule the next step's units start from `settled` on.
  void step(std::uint64_t index, std::uint64_t t0, std::uint64_t t1, bool joint,
            std::uint64_t settled = TraceWindow::kOpen);

  // Writes the rest, closes the file at min(window end, end of the last step)
  // and renames it into place. Throws InputError on a write error. Idempotent.
  TraceSummary finish();

  const MeshTraceOptions& options() const { return opt_; }
  // The name of a link in the trace, e.g. "link_r0_c0_east".
  static std::string link_signal_name(const MeshMapping& map, int link);

 private:
  struct Signal {
    std::string scope, name, id;
    int width = 1;
    std::int64_t idle = 0, value = 0;  // kX: unknown ("x")
  };
  struct Event {
    std::uint64_t t;
    std::uint32_t sig;
    std::uint32_t kind;  // 0 reset to idle, 1 set, 2 add
    std::int64_t value;
  };
  struct UnitSignals {
    std::uint32_t busy = 0, wait = 0, stall = 0, phase = 0, tile = 0;
    bool pe = false;
  };
  struct LinkSignals {
    std::uint32_t busy = 0, src = 0, dst = 0, queue = 0;
    bool declared = false;
  };
  static constexpr std::int64_t kX = -1;

  std::uint32_t add_signal(const std::string& scope, const std::string& name, int width, std::int64_t idle);
  // Value `v` over [a, b) (then back to idle), clipped to the window.
  void level(std::uint32_t sig, std::uint64_t a, std::uint64_t b, std::int64_t v);
  // +1 over [a, b), clipped to the window.
  void count(std::uint32_t sig, std::uint64_t a, std::uint64_t b);
  void write_header(const MeshMapping& map);
  // Writes every buffered change before `upto` (all of them when upto is kOpen).
  void flush(std::uint64_t upto);
  void write_dumpvars();
  void put_value(const Signal& s);
  void emit();  // out_ to the file

  MeshTraceOptions opt_;
  std::string tmp_path_;
  std::FILE* file_ = nullptr;
  bool finished_ = false;
  TraceSummary summary_;
  std::vector<Signal> sigs_;
  std::vector<UnitSignals> units_;
  std::vector<LinkSignals> links_;
  std::uint32_t step_ = 0, joint_ = 0, pes_busy_ = 0, vus_busy_ = 0, links_busy_ = 0;
  std::vector<Event> events_;
  std::vector<std::uint32_t> touched_;
  std::vector<std::int64_t> before_;  // per touched signal: its value before the cycle's changes
  std::vector<char> is_touched_;
  std::uint64_t run_end_ = 0;
  bool dumped_ = false;  // the $dumpvars block is written
  std::string out_;
};

}  // namespace sheafsim::mesh
