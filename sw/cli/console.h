#pragma once
// Terminal output shared by every subcommand: a progress line shown only on a
// terminal, and the statistics block that ends every run.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace sheafsim::cli {

bool stderr_is_terminal();

// "\r"-updated progress on stderr, throttled to 10 updates a second; silent
// when stderr is not a terminal.
class ProgressLine {
 public:
  ProgressLine(std::string label, long total);
  ~ProgressLine();
  void update(long done, const std::string& detail);
  void finish();

 private:
  std::string label_;
  long total_;
  bool enabled_;
  bool dirty_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

// One row of the statistics block: name (with its unit in the name), value.
using StatRow = std::pair<std::string, std::string>;
void print_statistics(const std::string& title, const std::vector<StatRow>& rows);

// Formats a double for humans (the files carry full precision).
std::string num(double v);

void warn(const std::string& message);

}  // namespace sheafsim::cli
