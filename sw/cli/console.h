#pragma once
// Terminal output shared by every subcommand: a progress line shown only on a
// terminal, and the statistics block that ends every run.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace sheafsim::cli {

bool stderr_is_terminal();

// When progress lines are shown: SHEAFSIM_PROGRESS unset (or "auto") shows
// them when stderr is a terminal; "1" (or "on") always, "0" (or "off") never.
// Anything else is an InputError (the variable is read once, by the first
// ProgressLine). On a terminal the line is redrawn in place ("\r", at most
// 10 times a second); elsewhere (a log file, a pipe) every update is its own
// line, the first update and the last always, the others at most one every
// 10 seconds, so a log of a long run stays short.
enum class ProgressMode { Off, Terminal, Lines };
ProgressMode progress_mode();

// "3m12s", "45s", "1h02m", "0.4s": a duration for humans.
std::string human_duration(double seconds);
// "0.8", "12.3", "850", "13.7k", "8.27M": a rate for humans (about 3 significant digits).
std::string human_rate(double per_second);

// The progress line of one run, on stderr:
//   simulate (sheaf, mesh 4x4): 1200/5000 steps (24%), 850 steps/s, ETA 4.5s | train loss 0.123
//   compare sweep (bit-accurate, 2 jobs): 16/162 points (9%), 0.8 points/s, ETA 3m12s | last stalk=Q4.6,round=stoch
// and when the run completes: "..., 5000/5000 steps (100%), 850 steps/s, done in 5.9s | ...";
// ended early (converged, interrupted), finish() says "ended after 2.1s". Before
// anything is done there is no rate and no ETA: "0/162 points (0%) | ...".
// `label` names the command and what it runs, `unit` what is counted (plural).
// With `at_most` the total is only an upper bound (inference stopping at a
// tolerance): the ETA reads "ETA at most 4s".
class ProgressLine {
 public:
  ProgressLine(std::string label, long total, std::string unit = "steps", bool at_most = false);
  ~ProgressLine();
  void update(long done, const std::string& detail);
  void finish();

 private:
  std::string format(long done, double secs, const std::string& detail) const;
  void show(const std::string& line);
  std::string label_, unit_, last_detail_;
  long total_, last_done_ = 0;
  bool at_most_;
  ProgressMode mode_;
  bool dirty_ = false, shown_ = false, rated_ = false, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

// One row of the statistics block: name (with its unit in the name), value.
using StatRow = std::pair<std::string, std::string>;
void print_statistics(const std::string& title, const std::vector<StatRow>& rows);

// Formats a double for humans (the files carry full precision).
std::string num(double v);

void warn(const std::string& message);

// A worker rank of an MPI run: no warnings, progress or statistics (rank 0
// reports for the run); errors still go to stderr.
void silence_console();

}  // namespace sheafsim::cli
