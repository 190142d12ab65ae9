#include "sheafsim/farm/checkpoint.h"

#include <filesystem>
#include <set>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sheafsim/base/error.h"
#include "sheafsim/base/file_io.h"

namespace sheafsim::farm {

namespace fs = std::filesystem;

namespace {

constexpr int kFormat = 1;

// The first top-level key whose value differs between two JSON objects (keys
// in sorted order), or "" when either text is not a JSON object.
std::string first_difference(const std::string& a, const std::string& b) {
  const auto ja = nlohmann::json::parse(a, nullptr, false);
  const auto jb = nlohmann::json::parse(b, nullptr, false);
  if (!ja.is_object() || !jb.is_object()) return "";
  std::set<std::string> keys;
  for (auto it = ja.begin(); it != ja.end(); ++it) keys.insert(it.key());
  for (auto it = jb.begin(); it != jb.end(); ++it) keys.insert(it.key());
  for (const auto& k : keys)
    if (!ja.contains(k) || !jb.contains(k) || ja.at(k) != jb.at(k)) return k;
  return "";
}

// "task-000012.json" -> 12; false for any other name.
bool task_index(const std::string& name, size_t& index) {
  const std::string prefix = "task-", suffix = ".json";
  if (name.size() <= prefix.size() + suffix.size() || name.compare(0, prefix.size(), prefix) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.size() > 18) return false;
  size_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  index = v;
  return true;
}

}  // namespace

Checkpoint::Checkpoint(std::string dir, std::string fingerprint, size_t tasks, bool resume)
    : dir_(std::move(dir)), tasks_(tasks) {
  const std::string cp = path();
  const std::string run = cp + "/run.json";
  std::error_code ec;
  if (!resume) {
    if (fs::exists(run, ec))
      throw InputError(fmt::format(
          "{} holds an unfinished run: continue it with --resume {}, or delete {}", cp, dir_, cp));
    fs::create_directories(cp, ec);
    if (ec) throw InputError(fmt::format("{}: cannot create the folder: {}", cp, ec.message()));
    const nlohmann::json j = {{"fingerprint", fingerprint}, {"tasks", tasks}, {"format", kFormat}};
    write_text_file(run, j.dump(1) + "\n");
    return;
  }

  if (!fs::exists(run, ec)) throw InputError(fmt::format("--resume {}: no checkpoint in {}", dir_, cp));
  const auto j = nlohmann::json::parse(read_text_file(run), nullptr, false);
  if (!j.is_object() || !j.contains("fingerprint") || !j["fingerprint"].is_string() || !j.contains("tasks") ||
      !j["tasks"].is_number_unsigned() || j.value("format", 0) != kFormat)
    throw InputError(fmt::format("{}: not a sheafsim checkpoint (format {})", run, kFormat));
  const auto theirs = j["fingerprint"].get<std::string>();
  const auto their_tasks = j["tasks"].get<size_t>();
  if (theirs != fingerprint || their_tasks != tasks) {
    std::string why;
    if (theirs != fingerprint) {
      const std::string key = first_difference(theirs, fingerprint);
      why = key.empty() ? "its settings differ" : fmt::format("its settings differ, first \"{}\"", key);
    } else {
      why = fmt::format("it has {} tasks, this run {}", their_tasks, tasks);
    }
    throw InputError(fmt::format(
        "--resume {}: the checkpoint belongs to another run ({}; resume with the same settings, or delete {})",
        dir_, why, cp));
  }

  for (const auto& entry : fs::directory_iterator(cp, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("task-", 0) != 0 || name.size() < 5 || name.substr(name.size() - 5) != ".json") continue;
    size_t index = 0;
    if (!task_index(name, index) || index >= tasks)
      throw InputError(fmt::format("{}: not a task of this run ({} tasks)", entry.path().string(), tasks));
    finished_[index] = read_text_file(entry.path().string());
  }
  if (ec) throw InputError(fmt::format("{}: cannot list the folder: {}", cp, ec.message()));
}

std::string Checkpoint::path() const { return dir_ + "/checkpoint"; }

std::string Checkpoint::task_path(size_t task) const { return fmt::format("{}/task-{:06}.json", path(), task); }

void Checkpoint::save(size_t task, const std::string& result) {
  if (task >= tasks_) throw InputError(fmt::format("{}: task {} of a run of {} tasks", path(), task, tasks_));
  write_text_file(task_path(task), result);
}

void Checkpoint::remove() {
  std::error_code ec;
  fs::remove_all(path(), ec);
  if (ec) throw InputError(fmt::format("{}: cannot delete the checkpoint: {}", path(), ec.message()));
}

}  // namespace sheafsim::farm
