#include "console.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "sheafsim/base/error.h"
#include "sheafsim/train/report_json.h"

namespace sheafsim::cli {

bool stderr_is_terminal() { return isatty(STDERR_FILENO) != 0; }

ProgressMode progress_mode() {
  static const ProgressMode mode = [] {
    const char* env = std::getenv("SHEAFSIM_PROGRESS");
    const std::string v = env == nullptr ? "" : env;
    if (v.empty() || v == "auto") return stderr_is_terminal() ? ProgressMode::Terminal : ProgressMode::Off;
    if (v == "1" || v == "on") return stderr_is_terminal() ? ProgressMode::Terminal : ProgressMode::Lines;
    if (v == "0" || v == "off") return ProgressMode::Off;
    throw InputError(fmt::format("SHEAFSIM_PROGRESS = '{}' must be auto, on (1) or off (0)", v));
  }();
  return mode;
}

std::string human_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--";
  if (seconds < 9.95) return fmt::format("{:.1f}s", seconds);
  const long long s = std::llround(seconds);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  const long long m = (s + 30) / 60;
  if (m < 100 * 60) return fmt::format("{}h{:02}m", m / 60, m % 60);
  return fmt::format("{}h", (m + 30) / 60);
}

std::string human_rate(double r) {
  if (!std::isfinite(r) || r <= 0) return "0";
  if (r >= 999.5e6) return fmt::format("{:.3g}G", r / 1e9);
  if (r >= 999.5e3) return fmt::format("{:.3g}M", r / 1e6);
  if (r >= 9999.5) return fmt::format("{:.3g}k", r / 1e3);
  if (r >= 99.95) return fmt::format("{:.0f}", r);
  if (r >= 9.995) return fmt::format("{:.1f}", r);
  if (r >= 0.01) {  // 2 decimals, trailing zeros dropped: 0.8, 5, 0.25
    std::string s = fmt::format("{:.2f}", r);
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
    return s;
  }
  return fmt::format("{:.1e}", r);
}

ProgressLine::ProgressLine(std::string label, long total, std::string unit, bool at_most)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), at_most_(at_most), mode_(progress_mode()) {
  start_ = last_ = std::chrono::steady_clock::now();
}

ProgressLine::~ProgressLine() {
  if (dirty_) std::fputc('\n', stderr);  // unwinding (an error follows): end the line, no summary
}

std::string ProgressLine::format(long done, double secs, const std::string& detail) const {
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0.0;
  std::string s = label_ + ": ";
  if (at_most_)
    s += fmt::format("{} of at most {} {}", done, total_, unit_);
  else
    s += fmt::format("{}/{} {} ({:.0f}%)", done, total_, unit_,
                     total_ > 0 ? std::floor(100.0 * static_cast<double>(done) / static_cast<double>(total_)) : 100.0);
  if (finished_) {
    s += fmt::format(", {} {}/s, ", human_rate(rate), unit_);
    s += (done >= total_ ? "done in " : "ended after ") + human_duration(secs);
  } else if (rate > 0) {  // no rate (nothing done yet): no rate and no ETA either
    s += fmt::format(", {} {}/s, ", human_rate(rate), unit_);
    s += (at_most_ ? "ETA at most " : "ETA ") + human_duration(static_cast<double>(total_ - done) / rate);
  }
  if (!detail.empty()) s += " | " + detail;
  return s;
}

void ProgressLine::show(const std::string& line) {
  if (mode_ == ProgressMode::Terminal) {
    // Cut to the terminal's width: a wrapped line cannot be redrawn in place.
    winsize ws{};
    const size_t cols = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 ? ws.ws_col - 1 : 0;
    const std::string shown = cols > 0 && line.size() > cols ? line.substr(0, cols) : line;
    fmt::print(stderr, "\r{}\x1b[K", shown);  // erase what a longer previous line left
    dirty_ = true;
  } else {
    fmt::print(stderr, "{}\n", line);
  }
  std::fflush(stderr);
}

void ProgressLine::update(long done, const std::string& detail) {
  if (mode_ == ProgressMode::Off || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  last_done_ = done;
  last_detail_ = detail;
  const bool first_rate = done > 0 && !rated_;  // the first line with a rate and an ETA is always shown
  const auto interval = mode_ == ProgressMode::Terminal ? std::chrono::milliseconds(100) : std::chrono::seconds(10);
  if (shown_ && !first_rate && done < total_ && now - last_ < interval) return;
  if (done >= total_) {  // complete: the summary line (finish() adds nothing)
    finished_ = true;
  }
  shown_ = true;
  rated_ = rated_ || done > 0;
  last_ = now;
  show(format(done, std::chrono::duration<double>(now - start_).count(), detail));
}

void ProgressLine::finish() {
  if (mode_ == ProgressMode::Off) return;
  if (!finished_ && shown_) {  // ended before its total (converged, or interrupted): say where
    finished_ = true;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    show(format(last_done_, secs, last_detail_));
  }
  if (dirty_) {
    std::fputc('\n', stderr);
    std::fflush(stderr);
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

namespace {
bool& silenced() {
  static bool s = false;
  return s;
}
}  // namespace

void silence_console() { silenced() = true; }

void warn(const std::string& message) {
  if (!silenced()) fmt::print(stderr, "sheafsim: warning: {}\n", message);
}

}  // namespace sheafsim::cli
