// The figures of `sheafsim compare`: tools/plot_compare.py (matplotlib) reads
// the files just written. Optional: without python3 and matplotlib the run
// says so in one line and goes on.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "compare_cli.h"
#include "console.h"

namespace sheafsim::cli {

namespace {

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string plot_script() {
  if (const char* env = std::getenv("SHEAFSIM_PLOT_SCRIPT")) return env;
#ifdef SHEAFSIM_PLOT_SCRIPT
  return SHEAFSIM_PLOT_SCRIPT;
#else
  return "tools/plot_compare.py";
#endif
}

}  // namespace

std::string run_plots(const std::string& dir) { return run_figure_script(plot_script(), dir); }

std::string run_figure_script(const std::string& script, const std::string& dir) {
  const std::string name = std::filesystem::path(script).filename().string();
  if (!std::filesystem::exists(script)) {
    fmt::print(stderr, "sheafsim: note: no figures: {} not found (set SHEAFSIM_PLOT_SCRIPT)\n", script);
    return "";
  }
  // The python3 on PATH first, then Debian's (python3-matplotlib installs
  // there even when PATH leads to another interpreter); $SHEAFSIM_PYTHON wins.
  std::vector<std::string> pythons = {"python3", "/usr/bin/python3"};
  if (const char* env = std::getenv("SHEAFSIM_PYTHON")) pythons = {env};
  std::string python;
  for (const std::string& p : pythons)
    if (std::system((shell_quote(p) + " -c 'import matplotlib' >/dev/null 2>&1").c_str()) == 0) {
      python = p;
      break;
    }
  if (python.empty()) {
    fmt::print(stderr, "sheafsim: note: no figures: python3 with matplotlib is not available "
                       "(apt-get install python3-matplotlib; --no-plots silences this)\n");
    return "";
  }
  std::fflush(stdout);
  const std::string cmd = fmt::format("{} {} {} 2>&1", shell_quote(python), shell_quote(script), shell_quote(dir));
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    warn("could not start python3 for the figures");
    return "";
  }
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  if (pclose(p) != 0) {
    warn(fmt::format("tools/{} failed; no figures ({})", name, out.substr(0, out.find('\n'))));
    return "";
  }
  size_t files = 0;
  for (char c : out) files += c == '\n' ? 1 : 0;
  return fmt::format("{} files in {} (png, svg)", files, dir);
}

}  // namespace sheafsim::cli
