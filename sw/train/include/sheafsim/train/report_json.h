#pragma once
// JSON forms of the library's results, shared by every report writer.
// Field names carry their units; NaN (not applicable) is written as null.
#include <string>

#include <nlohmann/json.hpp>

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
// precision): 6 significant digits, "n/a" for NaN.
std::string short_number(double v);

}  // namespace sheafsim
