// run_farm over MPI ranks: rank 0 hands out task indices and collects the
// results, ranks 1..N-1 compute. Compiled only when the build found MPI.
#include <mpi.h>

#include <cstdint>
#include <cstring>
#include <thread>

#include "farm_detail.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/run_control.h"

namespace sheafsim::farm::detail {

namespace {

// Coordinator -> worker: TASK (uint64 index), STOP (empty).
// Worker -> coordinator: RESULT (index + text), ERROR (index + kind byte +
// text), INTERRUPTED (index: computed while a signal was pending, discarded),
// BUSY (double: seconds inside the task function; the reply to STOP).
enum Tag : int { kTask = 1, kStop = 2, kResult = 3, kError = 4, kInterrupted = 5, kBusy = 6 };

constexpr auto kPoll = std::chrono::milliseconds(1);
// How long an interrupted coordinator waits for running tasks, then for the
// workers' answers to STOP: together well inside the 0.5-1 s (measured) that mpirun leaves
// between its SIGTERM and its SIGKILL (task_farm.h), so that Interrupted's
// message still gets out.
constexpr double kInterruptWait_s = 0.25;
constexpr double kStopWait_s = 0.15;

std::string encode(uint64_t index, const std::string& text) {
  std::string out(sizeof index, '\0');
  std::memcpy(out.data(), &index, sizeof index);
  return out + text;
}

uint64_t decode_index(const std::string& msg) {
  uint64_t index = 0;
  if (msg.size() >= sizeof index) std::memcpy(&index, msg.data(), sizeof index);
  return index;
}

void send(int dest, int tag, const std::string& payload) {
  MPI_Send(payload.data(), static_cast<int>(payload.size()), MPI_BYTE, dest, tag, MPI_COMM_WORLD);
}

// Receives the message that `st` (from a probe) describes, whatever its length.
std::string receive(const MPI_Status& probed) {
  int count = 0;
  MPI_Get_count(&probed, MPI_BYTE, &count);
  std::string msg(static_cast<size_t>(count), '\0');
  MPI_Recv(msg.data(), count, MPI_BYTE, probed.MPI_SOURCE, probed.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return msg;
}

// A probe that sleeps between empty polls instead of spinning (Open MPI's
// blocking calls spin and would take a core from a worker). until_s < 0: no limit.
bool probe(int source, MPI_Status& st, Clock::time_point t0, double until_s) {
  for (;;) {
    int flag = 0;
    MPI_Iprobe(source, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (flag) return true;
    if (until_s >= 0 && seconds_since(t0) > until_s) return false;
    std::this_thread::sleep_for(kPoll);
  }
}

std::vector<std::string> run_worker(const Cluster& cluster, const TaskFn& fn, FarmStats* stats) {
  double busy = 0;
  for (;;) {
    MPI_Status st;
    probe(0, st, Clock::now(), -1);
    const std::string msg = receive(st);
    if (st.MPI_TAG == kStop) {
      MPI_Send(&busy, 1, MPI_DOUBLE, 0, kBusy, MPI_COMM_WORLD);
      break;
    }
    if (st.MPI_TAG != kTask) continue;
    const uint64_t index = decode_index(msg);
    if (interrupt_requested()) {  // a signal here: compute nothing more, wait for STOP
      send(0, kInterrupted, encode(index, ""));
      continue;
    }
    const auto ts = Clock::now();
    std::string result;
    char kind = 0;
    try {
      result = fn(static_cast<size_t>(index));
    } catch (const InputError& e) {
      kind = 'I';
      result = e.what();
    } catch (const std::exception& e) {
      kind = 'E';
      result = e.what();
    } catch (...) {
      kind = 'E';
      result = "unknown exception";
    }
    busy += seconds_since(ts);
    if (kind != 0)
      send(0, kError, encode(index, std::string(1, kind) + result));
    else if (interrupt_requested())  // possibly partial: discarded
      send(0, kInterrupted, encode(index, ""));
    else
      send(0, kResult, encode(index, result));
  }
  if (stats != nullptr) {
    *stats = FarmStats{};
    stats->ranks = cluster.size();
    stats->workers = static_cast<unsigned>(cluster.size() - 1);
    stats->worker_busy_s = {busy};
  }
  return {};
}

}  // namespace

std::vector<std::string> run_farm_mpi(const Cluster& cluster, const FarmSpec& spec, const TaskFn& fn,
                                      const DoneFn& done, FarmStats* stats) {
  if (!cluster.coordinator()) return run_worker(cluster, fn, stats);

  const auto t0 = Clock::now();
  double active_s = 0;  // hand-out, receiving, checkpoint writes, DoneFn
  std::vector<std::string> results;
  std::vector<bool> have;
  const std::vector<size_t> todo = pending_tasks(spec, results, have);
  const size_t loaded = spec.tasks - todo.size();
  size_t finished = loaded;
  const int workers = cluster.size() - 1;

  std::vector<bool> working(static_cast<size_t>(cluster.size()), false);
  int running = 0;
  size_t next = 0;
  bool stopping = false, interrupted = false;
  Clock::time_point interrupted_at;
  bool have_error = false, task_error = false;
  size_t error_task = 0;
  char error_kind = 'E';
  std::string error_text;
  std::exception_ptr save_error;  // a checkpoint write that failed

  auto hand_out = [&](int w) {
    if (stopping || next >= todo.size()) return;
    send(w, kTask, encode(todo[next++], ""));
    working[static_cast<size_t>(w)] = true;
    ++running;
  };
  auto interrupt = [&] {
    if (!interrupted) interrupted_at = Clock::now();
    interrupted = stopping = true;
  };
  // One message from a worker: a result (checkpointed, then DoneFn), an error or an interruption.
  auto handle = [&](const MPI_Status& st) {
    const std::string msg = receive(st);
    const int w = st.MPI_SOURCE;
    if (st.MPI_TAG != kResult && st.MPI_TAG != kError && st.MPI_TAG != kInterrupted) return;
    if (working[static_cast<size_t>(w)]) {
      working[static_cast<size_t>(w)] = false;
      --running;
    }
    const size_t index = static_cast<size_t>(decode_index(msg));
    if (st.MPI_TAG == kResult && index < spec.tasks && !have[index]) {
      try {
        if (spec.checkpoint != nullptr) spec.checkpoint->save(index, msg.substr(8));
        results[index] = msg.substr(8);
        have[index] = true;
        ++finished;
        if (done) done(index, finished, spec.tasks);
      } catch (...) {
        if (!save_error) save_error = std::current_exception();
        stopping = true;
      }
    } else if (st.MPI_TAG == kError) {
      if (!have_error) {
        have_error = task_error = true;
        error_task = index;
        error_kind = msg.size() > 8 ? msg[8] : 'E';
        error_text = msg.size() > 9 ? msg.substr(9) : std::string();
      }
      stopping = true;
    } else if (st.MPI_TAG == kInterrupted) {
      interrupt();
    }
    hand_out(w);
  };

  {
    const auto ta = Clock::now();
    if (interrupt_requested()) interrupt();
    for (int w = 1; w <= workers; ++w) hand_out(w);
    active_s += seconds_since(ta);
  }
  while (running > 0) {
    if (interrupt_requested()) interrupt();
    if (interrupted && seconds_since(interrupted_at) > kInterruptWait_s) break;
    MPI_Status st;
    int flag = 0;
    MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (!flag) {
      std::this_thread::sleep_for(kPoll);
      continue;
    }
    const auto ta = Clock::now();
    handle(st);
    active_s += seconds_since(ta);
  }

  // STOP to every worker; each answers with its busy seconds. Workers still in
  // a task (an interrupt that outlived the wait) may answer with a result
  // first: it is whole, so it is checkpointed too.
  auto ta = Clock::now();
  for (int w = 1; w <= workers; ++w) send(w, kStop, "");
  active_s += seconds_since(ta);
  std::vector<double> busy(static_cast<size_t>(workers), 0.0);
  int answered = 0;
  const auto drain_t0 = Clock::now();
  while (answered < workers) {
    MPI_Status st;
    if (!probe(MPI_ANY_SOURCE, st, drain_t0, interrupted ? kStopWait_s : -1)) {
      set_workers_left_behind();
      break;
    }
    if (st.MPI_TAG == kBusy) {
      double b = 0;
      MPI_Recv(&b, 1, MPI_DOUBLE, st.MPI_SOURCE, kBusy, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      busy[static_cast<size_t>(st.MPI_SOURCE - 1)] = b;
      ++answered;
    } else {
      ta = Clock::now();
      stopping = true;  // nothing more to hand out
      handle(st);
      active_s += seconds_since(ta);
    }
  }

  if (stats != nullptr) {
    stats->ranks = cluster.size();
    stats->workers = static_cast<unsigned>(workers);
    stats->tasks = spec.tasks;
    stats->from_checkpoint = loaded;
    stats->computed = finished - loaded;
    stats->wall_s = seconds_since(t0);
    stats->coordinator_s = active_s;
    stats->worker_busy_s = busy;
  }
  if (task_error) throw_task_error(error_task, error_kind, error_text);
  if (save_error) std::rethrow_exception(save_error);
  if (finished < spec.tasks) throw_interrupted(finished, spec.tasks, spec.checkpoint);
  return results;
}

}  // namespace sheafsim::farm::detail
