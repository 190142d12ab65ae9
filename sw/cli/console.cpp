#include "console.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "sheafsim/train/report_json.h"

namespace sheafsim::cli {

bool stderr_is_terminal() { return isatty(STDERR_FILENO) != 0; }

ProgressLine::ProgressLine(std::string label, long total)
    : label_(std::move(label)), total_(total), enabled_(stderr_is_terminal()) {
  start_ = last_ = std::chrono::steady_clock::now();
}

ProgressLine::~ProgressLine() { finish(); }

void ProgressLine::update(long done, const std::string& detail) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0.0;
  const double pct = total_ > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0;
  fmt::print(stderr, "\r{}: {}/{} steps ({:.0f}%)  {}  {:.0f} steps/s   ", label_, done, total_, pct, detail, rate);
  std::fflush(stderr);
  dirty_ = true;
}

void ProgressLine::finish() {
  if (enabled_ && dirty_) {
    fmt::print(stderr, "\n");
    dirty_ = false;
  }
}

void print_statistics(const std::string& title, const std::vector<StatRow>& rows) {
  size_t width = 0;
  for (const auto& r : rows) width = std::max(width, r.first.size());
  fmt::print("---- {} ----\n", title);
  for (const auto& r : rows) fmt::print("{:<{}}  {}\n", r.first + ":", width + 1, r.second);
  std::fflush(stdout);
}

std::string num(double v) { return short_number(v); }

void warn(const std::string& message) { fmt::print(stderr, "sheafsim: warning: {}\n", message); }

}  // namespace sheafsim::cli
