#pragma once
// Run control shared by every report writer and long loop (docs/reliability.md):
//  - Interrupts: after install_interrupt_handlers(), the first SIGINT or
//    SIGTERM only sets a flag; training loops stop at the next step boundary
//    (interrupt_requested()) and the command writes a valid partial report
//    with "interrupted": true. A second signal ends the process at once.
//  - Deterministic reports: with SHEAFSIM_DETERMINISTIC=1 in the environment,
//    every wall-clock field of a JSON report (timing_keys()) is written as
//    null, so the same command with the same seeds writes byte-identical files.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sheafsim {

void install_interrupt_handlers();
bool interrupt_requested();
int interrupt_signal();  // the signal received (SIGINT, SIGTERM), 0 if none
std::string interrupt_signal_name();  // "SIGINT", "SIGTERM" or ""
void request_interrupt(int sig);  // what the handler does (for tests)

bool deterministic_reports();  // SHEAFSIM_DETERMINISTIC is set and not "0"
const std::vector<std::string>& timing_keys();
// Sets every timing key, at any depth, to null.
void scrub_timing(nlohmann::json& j);

}  // namespace sheafsim
