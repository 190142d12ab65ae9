#include "sheafsim/reference/network_io.h"

#include <cmath>

#include <fmt/format.h>

#include "sheafsim/base/error.h"
#include "sheafsim/base/file_io.h"

namespace sheafsim {

using nlohmann::json;

json network_to_json(const Network& net) {
  json j;
  j["layers"] = net.layers;
  j["output"] = to_string(net.output);
  json weights = json::array(), biases = json::array();
  for (size_t k = 0; k < net.W.size(); ++k) {
    json rows = json::array();
    for (Eigen::Index i = 0; i < net.W[k].rows(); ++i) {
      json row = json::array();
      for (Eigen::Index c = 0; c < net.W[k].cols(); ++c) row.push_back(net.W[k](i, c));
      rows.push_back(std::move(row));
    }
    weights.push_back(std::move(rows));
    biases.push_back(std::vector<double>(net.b[k].data(), net.b[k].data() + net.b[k].size()));
  }
  j["weights"] = std::move(weights);
  j["biases"] = std::move(biases);
  return j;
}

json parse_json_text(const std::string& text, const std::string& origin) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw InputError(fmt::format("{}: malformed JSON (byte {})", origin, e.byte));
  } catch (const json::exception& e) {
    // e.g. a number too large for a double: "number overflow parsing '1e999'"
    const std::string what = e.what();
    const auto cut = what.find("] ");
    throw InputError(fmt::format("{}: {} (not finite)", origin, cut == std::string::npos ? what : what.substr(cut + 2)));
  }
}

namespace {

double number_at(const json& v, const std::string& origin, const std::string& where) {
  if (!v.is_number()) throw InputError(fmt::format("{}: {} is not a number", origin, where));
  const double x = v.get<double>();
  if (!std::isfinite(x)) throw InputError(fmt::format("{}: {} is not finite", origin, where));
  return x;
}

const json& field(const json& j, const char* key, const std::string& origin) {
  if (!j.is_object()) throw InputError(fmt::format("{}: top level is not a JSON object", origin));
  auto it = j.find(key);
  if (it == j.end()) throw InputError(fmt::format("{}: missing field \"{}\"", origin, key));
  return *it;
}

}  // namespace

Network network_from_json(const json& j, const std::string& origin) {
  Network net;
  const json& layers = field(j, "layers", origin);
  if (!layers.is_array()) throw InputError(fmt::format("{}: \"layers\" is not an array", origin));
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!layers[i].is_number_integer())
      throw InputError(fmt::format("{}: layers[{}] is not an integer", origin, i));
    const auto v = layers[i].get<long long>();
    if (v < 1 || v > (1 << 16)) throw InputError(fmt::format("{}: layers[{}] = {} is outside 1..65536", origin, i, v));
    net.layers.push_back(static_cast<int>(v));
  }
  if (net.layers.size() < 2) throw InputError(fmt::format("{}: \"layers\" needs at least 2 widths", origin));
  if (j.contains("output")) {
    if (!j["output"].is_string()) throw InputError(fmt::format("{}: \"output\" is not a string", origin));
    try {
      net.output = parse_output_kind(j["output"].get<std::string>());
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", origin, e.what()));
    }
  }
  const json& weights = field(j, "weights", origin);
  const json& biases = field(j, "biases", origin);
  const size_t L = net.layers.size() - 1;
  if (!weights.is_array() || weights.size() != L)
    throw InputError(fmt::format("{}: \"weights\" must be a list of {} matrices", origin, L));
  if (!biases.is_array() || biases.size() != L)
    throw InputError(fmt::format("{}: \"biases\" must be a list of {} vectors", origin, L));
  for (size_t k = 0; k < L; ++k) {
    const int rows = net.layers[k + 1], cols = net.layers[k];
    const json& Wj = weights[k];
    if (!Wj.is_array() || Wj.size() != static_cast<size_t>(rows))
      throw InputError(fmt::format("{}: W_{} must have {} rows (layers {}), got {}", origin, k + 1, rows,
                                   j["layers"].dump(), Wj.is_array() ? Wj.size() : 0));
    // Every row's length before the matrix is allocated: 65536 empty rows
    // (a 200 KB file) under layers [65536, 65536] asked for 32 GiB first.
    for (int i = 0; i < rows; ++i) {
      const json& row = Wj[static_cast<size_t>(i)];
      if (!row.is_array() || row.size() != static_cast<size_t>(cols))
        throw InputError(fmt::format("{}: W_{} row {} must have {} entries, got {}", origin, k + 1, i, cols,
                                     row.is_array() ? row.size() : 0));
    }
    Matrix W(rows, cols);
    for (int i = 0; i < rows; ++i) {
      const json& row = Wj[static_cast<size_t>(i)];
      for (int c = 0; c < cols; ++c)
        W(i, c) = number_at(row[static_cast<size_t>(c)], origin, fmt::format("W_{}[{}][{}]", k + 1, i, c));
    }
    const json& bj = biases[k];
    if (!bj.is_array() || bj.size() != static_cast<size_t>(rows))
      throw InputError(fmt::format("{}: b_{} must have {} entries, got {}", origin, k + 1, rows,
                                   bj.is_array() ? bj.size() : 0));
    Vector b(rows);
    for (int i = 0; i < rows; ++i) b(i) = number_at(bj[static_cast<size_t>(i)], origin, fmt::format("b_{}[{}]", k + 1, i));
    net.W.push_back(std::move(W));
    net.b.push_back(std::move(b));
  }
  try {
    net.validate();
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", origin, e.what()));
  }
  return net;
}

Network read_network(const std::string& path) {
  return network_from_json(parse_json_text(read_text_file(path), path), path);
}

void write_network(const std::string& path, const Network& net) {
  write_text_file(path, network_to_json(net).dump(1) + "\n");
}

}  // namespace sheafsim
