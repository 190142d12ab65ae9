#include "sheafsim/explore/design_space.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "sheafsim/analysis/sweep.h"
#include "sheafsim/arch/mesh_config.h"
#include "sheafsim/base/error.h"

namespace sheafsim::explore {

namespace {

bool is_numeric_key(const std::string& key) {
  const auto& keys = sweep_keys();
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// Levenshtein distance, for the did-you-mean of an unknown key.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// " (did you mean 'x'?)" when a known key is within two edits (or differs by '_' for '-'), else "".
std::string did_you_mean(const std::string& key, const std::vector<std::string>& known) {
  std::string dashed = key;
  std::replace(dashed.begin(), dashed.end(), '_', '-');
  size_t best = 3;
  std::string match;
  for (const std::string& k : known) {
    const size_t d = k == dashed ? 0 : edit_distance(key, k);
    if (d < best) best = d, match = k;
  }
  return match.empty() ? "" : fmt::format(" (did you mean '{}'?)", match);
}

// One value of an axis as text: strings as given, integers in decimal, floats
// in fmt's shortest round-trip form (clock-mhz and steps only).
std::string value_text(const toml::node& node, const std::string& key, const std::string& where) {
  if (auto s = node.as_string()) return s->get();
  if (auto i = node.as_integer()) return std::to_string(i->get());
  if (auto d = node.as_floating_point(); d && (key == "clock-mhz" || key == "steps")) return fmt::format("{}", d->get());
  throw InputError(fmt::format("{}: {} values must be {}", where, key,
                               key == "clock-mhz" || key == "steps" ? "numbers or strings" : "strings or integers"));
}

// A whole decimal number in [lo, hi] (leading and trailing blanks refused).
std::optional<long> whole_number(const std::string& text, long lo, long hi) {
  if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) return {};
  const long v = std::stol(text);
  if (v < lo || v > hi) return {};
  return v;
}

// A finite number written as a whole decimal string ("1e4" and "200.5" too); nullopt if not a number.
std::optional<double> real_number(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789.eE+-") != std::string::npos) return {};
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v)) return {};
  return v;
}

std::string architecture_value(const std::string& key, const std::string& text, const std::string& where) {
  if (key == "mesh") {
    int rows = 0, cols = 0;
    try {
      mesh::parse_mesh_shape(text, rows, cols);
    } catch (const InputError&) {
      throw InputError(fmt::format("{}: mesh '{}' must be RxC with 1 <= R, C <= 256 (e.g. 4x4)", where, text));
    }
    return fmt::format("{}x{}", rows, cols);
  }
  if (key == "schedule" || key == "reduction") {
    try {
      return key == "schedule" ? mesh::to_string(mesh::parse_schedule(text))
                               : mesh::to_string(mesh::parse_reduction(text));
    } catch (const InputError& e) {
      throw InputError(fmt::format("{}: {}", where, e.what()));
    }
  }
  if (key == "clock-mhz") {
    const std::optional<double> v = real_number(text);
    if (!v || *v <= 0) throw InputError(fmt::format("{}: clock-mhz '{}' must be a finite number > 0", where, text));
    return fmt::format("{}", *v);
  }
  // Integers: the SRAM sizes are longs in MeshConfig, the rest ints.
  const long lo = key == "chunk" ? 0 : 1;
  const long hi = key == "sram-kib" || key == "vertex-sram-kib" ? (1L << 40) : INT_MAX;
  const std::optional<long> v = whole_number(text, lo, hi);
  if (!v) throw InputError(fmt::format("{}: {} '{}' must be a whole number in {}..{}", where, key, text, lo, hi));
  return std::to_string(*v);
}

std::string training_value(const std::string& text, const std::string& where) {
  // "1e4" is accepted: step counts are often written that way.
  const std::optional<double> v = real_number(text);
  if (!v || *v < 1 || *v > 1e15 || std::floor(*v) != *v)
    throw InputError(fmt::format("{}: steps '{}' must be a whole number >= 1 (like 1000 or \"1e4\")", where, text));
  return std::to_string(static_cast<long>(*v));
}

// Expands and validates a numeric axis with the --sweep grammar, so both
// commands accept the same values; its messages are rephrased to name the file.
std::vector<std::string> numeric_values(const std::string& key, const std::vector<std::string>& texts,
                                        const std::string& where) {
  for (const std::string& t : texts)
    if (t.find_first_of("|,=") != std::string::npos || t.find_first_not_of(" \t") == std::string::npos)
      throw InputError(fmt::format("{}: '{}' is not one value or range (give one per array entry)", where, t));
  std::string spec = key + "=";
  for (size_t n = 0; n < texts.size(); ++n) spec += (n > 0 ? "|" : "") + texts[n];
  try {
    return parse_sweep(spec).axes.at(0).values;
  } catch (const InputError& e) {
    std::string rest = e.what();
    for (const std::string& prefix : {"--sweep " + key, std::string("--sweep")})
      if (rest.compare(0, prefix.size(), prefix) == 0) {
        rest = rest.substr(prefix.size());
        break;
      }
    rest.erase(0, rest.find_first_not_of(' '));
    // The --sweep hints speak of '|'; here each value is its own array entry.
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"separate them with '|'", "one per array entry"},
                                   {"list other integer widths with '|'", "list other integer widths as entries"}})
      if (const size_t at = rest.find(from); at != std::string::npos) rest.replace(at, from.size(), to);
    throw InputError(fmt::format("{}{}{}", where, rest.empty() || rest[0] == ':' ? "" : " ", rest));
  }
}

Axis parse_axis(const std::string& key, const toml::node& node, const std::string& origin) {
  const std::string where = fmt::format("{}: [axes] {}", origin, key);
  Axis axis{key, axis_kind(key), {}};
  std::vector<std::string> texts;
  if (const toml::array* arr = node.as_array()) {
    if (arr->empty()) throw InputError(fmt::format("{}: is an empty array (give at least one value)", where));
    for (const toml::node& el : *arr) texts.push_back(value_text(el, key, where));
  } else {
    texts.push_back(value_text(node, key, where));  // a scalar: a one-value axis
  }
  if (axis.kind == AxisKind::Numeric) {
    axis.values = numeric_values(key, texts, where);
  } else {
    for (const std::string& t : texts) {
      std::string v = axis.kind == AxisKind::Training ? training_value(t, where) : architecture_value(key, t, where);
      if (std::find(axis.values.begin(), axis.values.end(), v) != axis.values.end())
        throw InputError(fmt::format("{}: value '{}' appears twice", where, v));
      axis.values.push_back(std::move(v));
    }
  }
  return axis;
}

void parse_sample(const toml::table& t, DesignSpace& space, const std::string& origin) {
  std::optional<std::int64_t> points;
  for (const auto& [k, node] : t) {
    const std::string key(k.str()), where = fmt::format("{}: [sample] {}", origin, key);
    if (key == "method") {
      const auto s = node.as_string();
      const std::string m = s ? s->get() : "";
      if (m == "grid") space.method = SampleMethod::Grid;
      else if (m == "random") space.method = SampleMethod::Random;
      else if (m == "lhs") space.method = SampleMethod::LatinHypercube;
      else throw InputError(fmt::format("{} must be \"grid\", \"random\" or \"lhs\"", where));
    } else if (key == "points") {
      const auto i = node.as_integer();
      if (!i) throw InputError(fmt::format("{} must be an integer", where));
      points = i->get();
    } else if (key == "seed") {
      const auto i = node.as_integer();
      if (!i || i->get() < 0) throw InputError(fmt::format("{} must be an integer >= 0", where));
      space.sample_seed = static_cast<std::uint64_t>(i->get());
    } else {
      throw InputError(fmt::format("{}: [sample] unknown key '{}' (expected method, points, seed){}", origin, key,
                                   did_you_mean(key, {"method", "points", "seed"})));
    }
  }
  const std::string where = fmt::format("{}: [sample] points", origin);
  if (space.method == SampleMethod::Grid) {
    if (points) throw InputError(fmt::format("{} is for method \"random\" or \"lhs\" (the grid takes every point)", where));
    return;
  }
  if (!points)
    throw InputError(fmt::format("{} is missing (method \"{}\" needs a sample size)", where, to_string(space.method)));
  if (*points < 1 || *points > static_cast<std::int64_t>(kMaxDesignPoints))
    throw InputError(fmt::format("{} = {} must be in 1..{}", where, *points, kMaxDesignPoints));
  space.sample_points = static_cast<size_t>(*points);
}

void parse_cost(const toml::table& t, DesignSpace& space, const std::string& origin) {
  for (const auto& [k, node] : t) {
    const std::string key(k.str()), where = fmt::format("{}: [cost] {}", origin, key);
    if (key == "sim-steps") {
      const auto i = node.as_integer();
      if (!i || i->get() < 0 || i->get() > 1000000000)
        throw InputError(fmt::format("{} must be an integer in 0..1000000000 (0: automatic)", where));
      space.sim_steps = static_cast<long>(i->get());
    } else if (key == "energy-table") {
      const auto s = node.as_string();
      if (!s) throw InputError(fmt::format("{} must be a string (a path)", where));
      space.energy_table = s->get();
    } else {
      throw InputError(fmt::format("{}: [cost] unknown key '{}' (expected sim-steps, energy-table){}", origin, key,
                                   did_you_mean(key, {"sim-steps", "energy-table"})));
    }
  }
}

}  // namespace

const std::vector<std::string>& axis_keys() {
  static const std::vector<std::string> keys = {
      "stalk", "weight", "bias", "residual", "constant", "acc", "round", "overflow",              // numeric
      "mesh", "lanes", "vertex-lanes", "link-width", "sram-kib", "vertex-sram-kib", "chunk",      // architecture
      "schedule", "reduction", "clock-mhz",
      "steps"};                                                                                   // training
  return keys;
}

AxisKind axis_kind(const std::string& key) {
  if (is_numeric_key(key)) return AxisKind::Numeric;
  if (key == "steps") return AxisKind::Training;
  const auto& keys = axis_keys();
  if (std::find(keys.begin(), keys.end(), key) != keys.end()) return AxisKind::Architecture;
  throw InputError(fmt::format("unknown axis '{}' (expected {}){}", key, fmt::join(keys, ", "), did_you_mean(key, keys)));
}

std::string to_string(SampleMethod m) {
  switch (m) {
    case SampleMethod::Grid: return "grid";
    case SampleMethod::Random: return "random";
    case SampleMethod::LatinHypercube: return "lhs";
  }
  return "grid";
}

size_t DesignSpace::grid_size() const {
  size_t n = 1;
  for (const Axis& a : axes) {
    // Saturates instead of wrapping: a random or lhs sample may span a huge grid.
    if (!a.values.empty() && n > std::numeric_limits<size_t>::max() / a.values.size())
      return std::numeric_limits<size_t>::max();
    n *= a.values.size();
  }
  return n;
}

DesignSpace parse_design_space(const std::string& toml_text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}: invalid TOML at line {}: {}", origin, e.source().begin.line, e.description()));
  }
  DesignSpace space;
  const toml::table *sample = nullptr, *axes = nullptr, *cost = nullptr;
  for (const auto& [k, node] : root) {
    const std::string key(k.str());
    const bool known = key == "run" || key == "sample" || key == "axes" || key == "cost";
    if (!node.is_table()) {
      if (known) throw InputError(fmt::format("{}: {} must be the table [{}], not a top-level key", origin, key, key));
      throw InputError(fmt::format(
          "{}: unknown key '{}' at the top level (expected the tables [run], [sample], [axes], [cost])", origin, key));
    }
    if (!known)
      throw InputError(fmt::format("{}: unknown table [{}] (expected [run], [sample], [axes], [cost]){}", origin, key,
                                   did_you_mean(key, {"run", "sample", "axes", "cost"})));
    if (key == "sample") sample = node.as_table();
    else if (key == "axes") axes = node.as_table();
    else if (key == "cost") cost = node.as_table();
  }
  if (sample != nullptr) parse_sample(*sample, space, origin);
  if (cost != nullptr) parse_cost(*cost, space, origin);
  if (axes != nullptr) {
    // toml++ keeps a table sorted by key; the axes keep the file's order.
    std::vector<std::pair<std::string, const toml::node*>> in_order;
    for (const auto& [k, node] : *axes) in_order.emplace_back(std::string(k.str()), &node);
    std::stable_sort(in_order.begin(), in_order.end(), [](const auto& a, const auto& b) {
      const toml::source_position pa = a.second->source().begin, pb = b.second->source().begin;
      return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
    });
    for (const auto& [key, node] : in_order) {
      try {
        axis_kind(key);
      } catch (const InputError& e) {
        throw InputError(fmt::format("{}: [axes] {}", origin, e.what()));
      }
      space.axes.push_back(parse_axis(key, *node, origin));
    }
  }
  if (space.grid_size() == std::numeric_limits<size_t>::max())  // saturated: grid indices would not fit
    throw InputError(fmt::format("{}: [axes] the design space has too many points to index (fewer values, please)",
                                 origin));
  if (space.method == SampleMethod::Grid && space.grid_size() > kMaxDesignPoints)
    throw InputError(fmt::format("{}: [axes] the grid has {} points, more than {} (sample it: [sample] method = "
                                 "\"random\" or \"lhs\" with points = N)",
                                 origin, space.grid_size(), kMaxDesignPoints));
  return space;
}

}  // namespace sheafsim::explore
