#include "sheafsim/base/run_control.h"

#include <csignal>
#include <cstdlib>
#include <cstring>

namespace sheafsim {

namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_interrupt(int sig) {
  g_signal = sig;
  // A second Ctrl-C (or SIGTERM) ends the process at once.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool interrupt_requested() { return g_signal != 0; }
int interrupt_signal() { return static_cast<int>(g_signal); }
std::string interrupt_signal_name() {
  switch (g_signal) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case 0: return "";
    default: return "signal " + std::to_string(static_cast<int>(g_signal));
  }
}
void request_interrupt(int sig) { g_signal = sig; }

bool deterministic_reports() {
  const char* v = std::getenv("SHEAFSIM_DETERMINISTIC");
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

const std::vector<std::string>& timing_keys() {
  static const std::vector<std::string> keys = {"wall_time_s", "us_per_step", "sim_cycles_per_wall_second",
                                                "kernel_wall_s", "steps_per_s", "wall_s"};
  return keys;
}

void scrub_timing(nlohmann::json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      bool timing = false;
      for (const auto& k : timing_keys()) timing = timing || it.key() == k;
      if (timing) *it = nullptr;
      else scrub_timing(*it);
    }
  } else if (j.is_array()) {
    for (auto& el : j) scrub_timing(el);
  }
}

}  // namespace sheafsim
