#pragma once
// Network file (JSON):
//   {"layers": [n0,...,nL], "output": "identity|sigmoid|softmax",
//    "weights": [W_1, ..., W_L], "biases": [b_1, ..., b_L]}
// each W_l a list of n_l rows of n_{l-1} numbers. See docs/file-formats.md.
#include <string>

#include <nlohmann/json.hpp>

#include "sheafsim/reference/network.h"

namespace sheafsim {

nlohmann::json network_to_json(const Network& net);
// `origin` names the source in error messages (a file name).
Network network_from_json(const nlohmann::json& j, const std::string& origin);

Network read_network(const std::string& path);  // throws InputError
void write_network(const std::string& path, const Network& net);

// Parses JSON text; a syntax error becomes a one-line InputError naming `origin`.
nlohmann::json parse_json_text(const std::string& text, const std::string& origin);

}  // namespace sheafsim
