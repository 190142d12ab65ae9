#pragma once
// JSON forms of the library's results, shared by every report writer.
// Field names carry their units; NaN (not applicable) is written as null.
#include <string>

#include <nlohmann/json.hpp>

#include "sheafsim/reference/pins.h"

#include "sheafsim/bitacc/arith_fixed.h"
#include "sheafsim/reference/discord.h"
#include "sheafsim/reference/spectrum.h"
#include "sheafsim/train/training.h"

namespace sheafsim {

nlohmann::json to_json(const TrainPoint& p);
nlohmann::json to_json(const TrainResult& r);  // history, steps, param_updates, wall_time_s, us_per_step
nlohmann::json to_json(const DiscordReport& d);
nlohmann::json to_json(const SpectrumResult& s);
nlohmann::json matrix_columns_to_json(const Matrix& m, Eigen::Index column);

// A double for humans (statistics rows, findings; the files carry full
// precision): whole numbers as integers, other values from 1e4 up with 10
// significant digits in fixed notation (never an exponent), below with 6
// significant digits; "n/a" for NaN.
std::string short_number(double v);

// The register writes of a fixed-point sheaf run that apply an update and so
// can lose one (docs/reports.md, "lost_updates"): per step and sample the
// stalks z_1..z_L and a_1..a_{L-1}, plus a_out for an inference with a
// sigmoid/softmax output vertex; per joint step every weight and bias once.
// Residual writes (overwritten every step, never "lost") are not included.
std::uint64_t update_register_writes(const std::vector<int>& layers, bool output_vertex, std::uint64_t batch,
                                     std::uint64_t diffusion_steps, std::uint64_t joint_steps);
// The same for a training run on `batch` samples: its joint steps are r.param_updates.
std::uint64_t update_register_writes(const std::vector<int>& layers, std::uint64_t batch, const TrainResult& r);

// The report's "fixed" object: FixedRunInfo::to_json() (eta_used, eta_raw null
// when there is no parameter step: inference) plus
// counters.update_register_writes and counters.lost_updates_fraction
// (lost_updates_total / update_register_writes, null without writes).
nlohmann::json fixed_json(const FixedRunInfo& info, std::uint64_t update_writes);

// The pins of a run (pins.h) for its report's settings: {"file", "pins",
// "hard_coordinates", "soft_coordinates", "free_input_coordinates"}; and the
// same in one line for the statistics block.
nlohmann::json pins_json(const std::string& file, const PinSet& pins);
std::string pins_summary(const std::string& file, const PinSet& pins);

}  // namespace sheafsim
