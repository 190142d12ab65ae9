#include "sheafsim/farm/task_farm.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "farm_detail.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/run_control.h"

namespace sheafsim::farm {

namespace detail {

namespace {
std::atomic<bool> g_left_behind{false};
}  // namespace

void set_workers_left_behind() { g_left_behind = true; }
bool workers_left_behind() { return g_left_behind.load(); }

void throw_task_error(size_t task, char kind, const std::string& message) {
  const std::string what = fmt::format("task {}: {}", task, message);
  if (kind == 'I') throw InputError(what);
  throw std::runtime_error(what);
}

void throw_interrupted(size_t finished, size_t total, const Checkpoint* checkpoint) {
  std::string sig = interrupt_signal_name();
  if (sig.empty()) sig = "a signal";
  if (checkpoint != nullptr)
    throw Interrupted(fmt::format("interrupted by {} with {} of {} tasks finished; they are in {}: continue with "
                                  "--resume {}",
                                  sig, finished, total, checkpoint->path(), checkpoint->dir()));
  throw Interrupted(fmt::format("interrupted by {} with {} of {} tasks finished; there is no checkpoint: they are lost",
                                sig, finished, total));
}

std::vector<size_t> pending_tasks(const FarmSpec& spec, std::vector<std::string>& results, std::vector<bool>& have) {
  results.assign(spec.tasks, std::string());
  have.assign(spec.tasks, false);
  if (spec.checkpoint != nullptr)
    for (const auto& [i, text] : spec.checkpoint->finished())
      if (i < spec.tasks) {
        results[i] = text;
        have[i] = true;
      }
  std::vector<size_t> todo;
  for (size_t i = 0; i < spec.tasks; ++i)
    if (!have[i]) todo.push_back(i);
  return todo;
}

}  // namespace detail

namespace {

// Threads (or the caller alone, jobs == 1) pull pending tasks in ascending order.
std::vector<std::string> run_local(const FarmSpec& spec, const TaskFn& fn, const DoneFn& done, FarmStats* stats) {
  const auto t0 = detail::Clock::now();
  std::vector<std::string> results;
  std::vector<bool> have;
  const std::vector<size_t> todo = detail::pending_tasks(spec, results, have);
  const size_t loaded = spec.tasks - todo.size();
  size_t finished = loaded;

  const unsigned jobs = std::max(1u, spec.jobs);
  const unsigned threads = static_cast<unsigned>(std::min<size_t>(jobs, std::max<size_t>(todo.size(), 1)));
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex results_mutex;    // results, checkpoint, DoneFn, the first error
  std::mutex exclusive_mutex;  // tasks that must not overlap (the SystemC kernel)
  std::exception_ptr error;
  size_t error_task = 0;
  bool task_error = false;  // the error came from fn (prefixed), not from a checkpoint write
  std::vector<double> busy(threads, 0.0);
  double coordinator_s = 0;

  auto worker = [&](unsigned w) {
    while (!stop.load()) {
      const size_t k = next.fetch_add(1);
      if (k >= todo.size()) break;
      const size_t i = todo[k];
      if (interrupt_requested()) {
        stop = true;
        break;
      }
      std::string r;
      const auto ts = detail::Clock::now();
      try {
        if (spec.exclusive && spec.exclusive(i)) {
          std::lock_guard<std::mutex> lock(exclusive_mutex);
          r = fn(i);
        } else {
          r = fn(i);
        }
      } catch (...) {
        busy[w] += detail::seconds_since(ts);
        std::lock_guard<std::mutex> lock(results_mutex);
        if (!error) {
          error = std::current_exception();
          error_task = i;
          task_error = true;
        }
        stop = true;
        break;
      }
      busy[w] += detail::seconds_since(ts);
      // A task interrupted half-way may have returned a partial result.
      if (interrupt_requested()) {
        stop = true;
        break;
      }
      std::lock_guard<std::mutex> lock(results_mutex);
      const auto tc = detail::Clock::now();
      try {
        if (spec.checkpoint != nullptr) spec.checkpoint->save(i, r);
        results[i] = std::move(r);
        have[i] = true;
        ++finished;
        if (done) done(i, finished, spec.tasks);
      } catch (...) {
        if (!error) error = std::current_exception();
        stop = true;
      }
      coordinator_s += detail::seconds_since(tc);
    }
  };

  if (threads == 1) {
    worker(0);
  } else {
    std::vector<std::thread> pool;
    for (unsigned w = 0; w < threads; ++w) pool.emplace_back(worker, w);
    for (auto& t : pool) t.join();
  }

  if (stats != nullptr) {
    stats->ranks = 1;
    stats->workers = threads;
    stats->tasks = spec.tasks;
    stats->from_checkpoint = loaded;
    stats->computed = finished - loaded;
    stats->wall_s = detail::seconds_since(t0);
    stats->coordinator_s = coordinator_s;
    stats->worker_busy_s = busy;
  }
  if (error) {
    if (!task_error) std::rethrow_exception(error);
    try {
      std::rethrow_exception(error);
    } catch (const InputError& e) {
      detail::throw_task_error(error_task, 'I', e.what());
    } catch (const std::exception& e) {
      detail::throw_task_error(error_task, 'E', e.what());
    } catch (...) {
      detail::throw_task_error(error_task, 'E', "unknown exception");
    }
  }
  if (finished < spec.tasks) detail::throw_interrupted(finished, spec.tasks, spec.checkpoint);
  return results;
}

}  // namespace

std::vector<std::string> run_farm(const Cluster& cluster, const FarmSpec& spec, const TaskFn& fn, const DoneFn& done,
                                  FarmStats* stats) {
#ifdef SHEAFSIM_HAVE_MPI
  if (cluster.mpi() && cluster.size() > 1) return detail::run_farm_mpi(cluster, spec, fn, done, stats);
#else
  (void)cluster;
#endif
  return run_local(spec, fn, done, stats);
}

}  // namespace sheafsim::farm
