#include "sheafsim/analysis/compare_run.h"

#include <cmath>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

namespace sheafsim {

std::vector<std::pair<int, Quantity>> traced_quantities(int depth) {
  std::vector<std::pair<int, Quantity>> q;
  for (int k = 1; k <= depth; ++k) {
    q.emplace_back(k, Quantity::Z);
    if (k < depth) q.emplace_back(k, Quantity::A);
    q.emplace_back(k, Quantity::W);
    q.emplace_back(k, Quantity::B);
  }
  return q;
}

namespace {

const Matrix& pick(const Network& net, const SheafState& st, int k, Quantity q, Matrix& scratch) {
  const size_t i = static_cast<size_t>(k - 1);
  switch (q) {
    case Quantity::Z: return st.z[i];
    case Quantity::A: return st.a[i];
    case Quantity::W: return net.W[i];
    case Quantity::B: scratch = net.b[i]; return scratch;
  }
  return scratch;
}

}  // namespace

std::vector<TraceRow> compare_sample(long step, const Network& float_net, const SheafState& float_state,
                                     const Network& fixed_net, const SheafState& fixed_state) {
  std::vector<TraceRow> rows;
  Matrix s1, s2;
  for (const auto& [k, q] : traced_quantities(float_net.depth())) {
    const Matrix& x = pick(fixed_net, fixed_state, k, q, s1);
    const Matrix& y = pick(float_net, float_state, k, q, s2);
    TraceRow r;
    r.step = step;
    r.layer = k;
    r.quantity = q;
    r.diff = difference({x}, {y});
    const double dn = (x - y).norm(), yn = y.norm();
    r.rel_rms = dn == 0.0 ? 0.0 : (yn > 0.0 ? dn / yn : std::nan(""));
    r.fixed_range.add(x);
    r.float_range.add(y);
    rows.push_back(r);
  }
  return rows;
}

namespace {

// Pairs the float and fixed samples of the same step. Each side blocks while
// it is more than kAhead samples ahead; a failed side releases the other.
class Lockstep {
 public:
  struct Snapshot {
    Network net;
    SheafState state;
  };
  struct Aborted {};  // thrown into a run whose partner has failed

  void put(int side, long step, const Network& net, const SheafState& st) {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait(lock, [&] { return failed_ || done_[1 - side] || pending_[side].size() < kAhead; });
    if (failed_) throw Aborted{};
    auto& other = pending_[1 - side];
    const auto it = other.find(step);
    if (it == other.end()) {
      pending_[side].emplace(step, Snapshot{net, st});
      return;
    }
    // side 0 is float, side 1 fixed.
    const Snapshot& o = it->second;
    std::vector<TraceRow> rows = side == 0 ? compare_sample(step, net, st, o.net, o.state)
                                           : compare_sample(step, o.net, o.state, net, st);
    other.erase(it);
    for (TraceRow& r : rows) trace.push_back(std::move(r));
    cv_.notify_all();
  }
  void fail() {
    std::lock_guard<std::mutex> lock(m_);
    failed_ = true;
    cv_.notify_all();
  }
  // A run that ended (normally, or interrupted early) no longer holds the other back.
  void finish(int side) {
    std::lock_guard<std::mutex> lock(m_);
    done_[side] = true;
    cv_.notify_all();
  }

  std::vector<TraceRow> trace;

 private:
  static constexpr size_t kAhead = 4;
  std::mutex m_;
  std::condition_variable cv_;
  std::map<long, Snapshot> pending_[2];
  bool failed_ = false;
  bool done_[2] = {false, false};
};

std::vector<QuantityRanges> summarise(const std::vector<TraceRow>& trace, int depth) {
  std::vector<QuantityRanges> out;
  for (const auto& [k, q] : traced_quantities(depth)) {
    QuantityRanges r;
    r.layer = k;
    r.quantity = q;
    for (const TraceRow& t : trace) {
      if (t.layer != k || t.quantity != q) continue;
      r.float_range.add(t.float_range);
      r.fixed_range.add(t.fixed_range);
      // NaN (a diverged run) propagates, so the summary cannot hide it.
      if (std::isnan(t.diff.max_abs) || t.diff.max_abs > r.max_abs_diff) r.max_abs_diff = t.diff.max_abs;
      if (std::isnan(t.rel_rms) || t.rel_rms > r.max_rel_rms) r.max_rel_rms = t.rel_rms;
    }
    out.push_back(r);
  }
  return out;
}

}  // namespace

CompareRun run_compare(const Network& start, const Dataset& train, const Dataset* test, const SheafTrainOptions& opt,
                       const FixedConfig& cfg, long trace_every, const FixedStepperFactory& make_stepper,
                       const TrainProgress& progress) {
  CompareRun run;
  Lockstep join;
  SheafTrainOptions fo = opt, xo = opt;
  fo.observe_every = xo.observe_every = trace_every < 1 ? 1 : trace_every;
  fo.observe = [&join](long step, const Network& n, const SheafState& s) { join.put(0, step, n, s); };
  xo.observe = [&join](long step, const Network& n, const SheafState& s) { join.put(1, step, n, s); };
  run.float_net = start;
  run.fixed_net = start;
  std::exception_ptr float_error, fixed_error;
  // The float reference on its own thread; the fixed run stays on this one
  // (the SystemC kernel must run on the thread that created it).
  std::thread float_thread([&] {
    try {
      run.float_result = train_sheaf(run.float_net, train, test, fo);
      join.finish(0);
    } catch (const Lockstep::Aborted&) {
    } catch (...) {
      float_error = std::current_exception();
      join.fail();
    }
  });
  try {
    run.fixed_result = train_sheaf_fixed(run.fixed_net, train, test, xo, cfg, progress, &run.info, nullptr, make_stepper);
    join.finish(1);
  } catch (const Lockstep::Aborted&) {
  } catch (...) {
    fixed_error = std::current_exception();
    join.fail();
  }
  float_thread.join();
  if (float_error) std::rethrow_exception(float_error);
  if (fixed_error) std::rethrow_exception(fixed_error);
  run.trace = std::move(join.trace);
  run.ranges = summarise(run.trace, start.depth());
  return run;
}

}  // namespace sheafsim
