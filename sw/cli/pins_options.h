#pragma once
// --pins FILE, shared by infer, train, simulate, compare and ops: the file
// read and checked against the network (one-line errors naming the pin), its
// warnings printed (a hard pin over soft pins) once, by this one reader.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "sheafsim/reference/network.h"
#include "sheafsim/reference/pins.h"

namespace sheafsim::cli {

// Null when `path` is empty.
std::shared_ptr<const PinSet> load_pins(const std::string& path, const Network& net, PinUse use);

// The report's settings.pins: the file and what it pins, or null without pins.
nlohmann::json pins_setting(const std::string& path, const std::shared_ptr<const PinSet>& pins);

// The strongest soft pull of `pins` (none when null), for check_step_size.
SoftPull soft_pull(const std::shared_ptr<const PinSet>& pins);

}  // namespace sheafsim::cli
