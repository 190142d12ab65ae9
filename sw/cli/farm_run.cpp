#include "farm_run.h"

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <numeric>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/file_io.h"

namespace sheafsim::cli {

bool launched_as_worker_rank() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"})
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') return std::string(v) != "0";
  return false;
}

namespace {
std::unique_ptr<farm::Cluster>& the_cluster() {
  static std::unique_ptr<farm::Cluster> c;
  return c;
}
}  // namespace

void end_cluster() { the_cluster().reset(); }

bool launched_as_several_ranks() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* v = std::getenv(var); v != nullptr && std::atoi(v) > 1) return true;
  return false;
}

FarmOutcome run_farm_tasks(const FarmRequest& req, const farm::TaskFn& fn) {
  FarmOutcome out;
  if (!the_cluster()) the_cluster() = std::make_unique<farm::Cluster>();
  const farm::Cluster& cluster = *the_cluster();
  out.coordinator = cluster.coordinator();
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  farm::FarmSpec spec;
  spec.tasks = req.tasks;
  spec.jobs = req.jobs > 0 ? static_cast<unsigned>(req.jobs) : cores;
  if (cluster.size() > 1) {
    if (req.jobs > 1 && out.coordinator)
      warn(fmt::format("--jobs {} applies to one process; under mpirun every rank runs one task at a time", req.jobs));
    spec.jobs = 1;
  }
  spec.exclusive = req.exclusive;
  if (!req.out_dir.empty()) {
    // Only the coordinator writes the checkpoint; the workers only compute.
    if (out.coordinator) {
      try {
        create_output_directory(req.out_dir);
        out.checkpoint = std::make_shared<farm::Checkpoint>(req.out_dir, req.fingerprint, req.tasks, req.resume);
      } catch (...) {
        // The workers wait for tasks: a farm of none sends them home first.
        farm::FarmSpec none;
        farm::run_farm(cluster, none, fn);
        throw;
      }
      spec.checkpoint = out.checkpoint.get();
    }
  } else if (req.resume) {
    throw InputError("--resume needs the output directory of the interrupted run");
  }
  std::unique_ptr<ProgressLine> progress;
  std::mutex m;
  farm::DoneFn done;
  if (out.coordinator) {
    const std::string who =
        cluster.size() > 1 ? fmt::format("{} ranks", cluster.size()) : fmt::format("{} job{}", spec.jobs, spec.jobs == 1 ? "" : "s");
    const std::string label = req.detail.empty() ? fmt::format("{} ({})", req.what, who)
                                                 : fmt::format("{} ({}, {})", req.what, req.detail, who);
    progress = std::make_unique<ProgressLine>(label, static_cast<long>(req.tasks - req.uncounted), req.unit);
    // The counted tasks done: those the checkpoint holds, then one per result.
    long counted = 0;
    if (out.checkpoint)
      for (const auto& kv : out.checkpoint->finished()) counted += kv.first >= req.uncounted ? 1 : 0;
    done = [&req, &m, &progress, counted](size_t task, size_t, size_t) mutable {
      std::lock_guard<std::mutex> lock(m);
      const bool counts = task >= req.uncounted;
      counted += counts ? 1 : 0;
      const std::string what = req.describe ? req.describe(task) : fmt::format("task {}", task);
      progress->update(counted, counts ? "last " + what : what + " done");
    };
  }
  out.results = farm::run_farm(cluster, spec, fn, done, &out.stats);
  if (progress) progress->finish();
  return out;
}

void write_timing(const std::string& dir, const FarmOutcome& f) {
  const farm::FarmStats& s = f.stats;
  const double busy = std::accumulate(s.worker_busy_s.begin(), s.worker_busy_s.end(), 0.0);
  const nlohmann::json j = {
      {"ranks", s.ranks},
      {"workers", s.workers},
      {"tasks", s.tasks},
      {"from_checkpoint", s.from_checkpoint},
      {"computed", s.computed},
      {"wall_time_s", s.wall_s},
      {"coordinator_s", s.coordinator_s},
      {"worker_busy_s", s.worker_busy_s},
      {"tasks_per_s", s.wall_s > 0 ? nlohmann::json(static_cast<double>(s.computed) / s.wall_s) : nlohmann::json(nullptr)},
      {"worker_utilisation", s.wall_s > 0 && s.workers > 0
                                 ? nlohmann::json(busy / (s.wall_s * static_cast<double>(s.workers)))
                                 : nlohmann::json(nullptr)}};
  write_json(dir + "/timing.json", j);
  if (f.checkpoint) f.checkpoint->remove();
}

std::string describe_workers(const FarmOutcome& f) {
  if (f.stats.ranks > 1) return fmt::format("{} MPI ranks ({} workers)", f.stats.ranks, f.stats.workers);
  return fmt::format("{} thread{}", f.stats.workers, f.stats.workers == 1 ? "" : "s");
}

void add_farm_rows(const FarmOutcome& f, std::vector<StatRow>& rows) {
  const farm::FarmStats& s = f.stats;
  rows.push_back({"tasks_from_checkpoint", fmt::format("{} of {}", s.from_checkpoint, s.tasks)});
  rows.push_back({"wall_time_s", num(s.wall_s)});
  rows.push_back({"tasks_per_s", s.wall_s > 0 ? num(static_cast<double>(s.computed) / s.wall_s) : "n/a"});
  rows.push_back({"coordinator_s", num(s.coordinator_s)});
}

}  // namespace sheafsim::cli
