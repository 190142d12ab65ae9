#pragma once
// A run's finished tasks on disk, so that a run killed or interrupted half-way
// continues with --resume without redoing them:
//   DIR/checkpoint/run.json   {"fingerprint": ..., "tasks": N, "format": 1}
//   DIR/checkpoint/task-<index, 6+ digits zero-padded>.json   one per finished
//                             task, holding its result text exactly.
// Every file is written with write_text_file (temporary + rename), so a kill
// leaves whole files only. The fingerprint (the run's settings, as text)
// refuses a resume with other settings, whose tasks would mean other things.
#include <cstddef>
#include <map>
#include <string>

namespace sheafsim::farm {

class Checkpoint {
 public:
  // `dir`: the run's output directory.
  // resume=false: refuses (InputError) a DIR/checkpoint that already holds
  //   run.json (an unfinished run must not be overwritten by accident), then
  //   creates the folder and writes run.json.
  // resume=true: DIR/checkpoint/run.json must exist and hold this fingerprint
  //   and task count (else InputError naming the first differing top-level key
  //   when both fingerprints are JSON objects); then loads every task file (a
  //   task-*.json whose index >= tasks, or unreadable: InputError naming it).
  Checkpoint(std::string dir, std::string fingerprint, size_t tasks, bool resume);

  const std::map<size_t, std::string>& finished() const { return finished_; }  // loaded on resume
  void save(size_t task, const std::string& result);  // atomic file write
  void remove();  // after the outputs are written: deletes DIR/checkpoint
  std::string path() const;  // DIR/checkpoint
  std::string dir() const { return dir_; }

 private:
  std::string task_path(size_t task) const;

  std::string dir_;
  size_t tasks_ = 0;
  std::map<size_t, std::string> finished_;
};

}  // namespace sheafsim::farm
