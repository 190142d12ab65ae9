#include "sheafsim/reference/pins.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sheafsim/base/error.h"
#include "sheafsim/base/file_io.h"

namespace sheafsim {

namespace {

using json = nlohmann::json;
constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

const char* kind_name(PinKind k) {
  switch (k) {
    case PinKind::Hard: return "hard";
    case PinKind::Soft: return "soft";
    case PinKind::Free: return "free";
  }
  return "?";
}

std::string stalk_name(PinStalk s, int layer) {
  switch (s) {
    case PinStalk::Z: return fmt::format("z_{}", layer);
    case PinStalk::A: return fmt::format("a_{}", layer);
    case PinStalk::AOut: return "a_out";
  }
  return "?";
}

// Which pin of the "pins" list a JSON error falls in (0: outside the list), so
// that a malformed or overflowing value (1e999: JSON has no infinity) names its pin.
class PinLocator : public nlohmann::json_sax<json> {
 public:
  int error_pin = 0;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    if (++depth_ == 3 && in_pins_) ++pin_;  // {"pins": [ {pin 1}, {pin 2}, ... ]}
    return true;
  }
  bool key(string_t& k) override {
    if (depth_ == 1) key_ = k;
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    if (++depth_ == 2 && key_ == "pins") in_pins_ = true;
    return true;
  }
  bool end_array() override {
    if (depth_-- == 2) in_pins_ = false;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    error_pin = in_pins_ ? pin_ : 0;
    return false;
  }

 private:
  int depth_ = 0, pin_ = 0;
  bool in_pins_ = false;
  std::string key_;
};

// An index as written, so that one beyond int is out of range rather than wrapped into it.
long long index_value(const json& v) {
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<long long>::max()))
    return std::numeric_limits<long long>::max();
  return v.get<long long>();
}

StalkPins unpinned(int n) {
  StalkPins p;
  p.hard.assign(static_cast<size_t>(n), kNone);
  p.gamma.assign(static_cast<size_t>(n), 0.0);
  p.target.assign(static_cast<size_t>(n), 0.0);
  return p;
}

}  // namespace

std::string Pin::name() const {
  return fmt::format("pin {} ({} {})", index, kind_name(kind), stalk_name(stalk, layer));
}

bool StalkPins::any_hard() const {
  return std::any_of(hard.begin(), hard.end(), [](double v) { return !std::isnan(v); });
}
bool StalkPins::any_soft() const {
  return std::any_of(gamma.begin(), gamma.end(), [](double g) { return g > 0; });
}

int PinSet::soft_coordinates() const {
  int n = 0;
  auto count = [&n](const StalkPins& p) {
    for (size_t i = 0; i < p.gamma.size(); ++i) n += p.gamma[i] > 0 && std::isnan(p.hard[i]) ? 1 : 0;
  };
  for (const StalkPins& p : z) count(p);
  for (const StalkPins& p : a) count(p);
  count(a_out);
  return n;
}

SoftPull PinSet::strongest_pull() const {
  SoftPull strongest;
  auto scan = [&strongest](const StalkPins& p, const std::string& stalk) {
    for (size_t i = 0; i < p.gamma.size(); ++i)
      if (std::isnan(p.hard[i]) && p.gamma[i] > strongest.gamma) strongest = {p.gamma[i], fmt::format("{}[{}]", stalk, i)};
  };
  for (size_t l = 0; l < z.size(); ++l) scan(z[l], stalk_name(PinStalk::Z, static_cast<int>(l) + 1));
  for (size_t l = 0; l < a.size(); ++l) scan(a[l], stalk_name(PinStalk::A, static_cast<int>(l) + 1));
  scan(a_out, "a_out");
  return strongest;
}

PinSet parse_pins(const std::string& text, const std::string& origin, const std::vector<int>& layers,
                  OutputKind output, PinUse use) {
  json doc;
  auto in_pin = [&text]() {
    PinLocator where;
    json::sax_parse(text, &where);
    return where.error_pin > 0 ? fmt::format(" in pin {}", where.error_pin) : std::string();
  };
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw InputError(fmt::format("{}: not a pins file: malformed JSON{} ({})", origin, in_pin(), e.what()));
  } catch (const json::out_of_range& e) {  // 1e999: JSON has no infinity, the parser overflows
    throw InputError(fmt::format("{}: a value{} is not a finite number ({})", origin, in_pin(), e.what()));
  }
  if (!doc.is_object() || !doc.contains("pins") || !doc["pins"].is_array())
    throw InputError(fmt::format("{}: a pins file is an object {{\"pins\": [...]}}", origin));
  for (const auto& [key, v] : doc.items())
    if (key != "pins") throw InputError(fmt::format("{}: unknown key '{}' (a pins file has only \"pins\")", origin, key));
  const int L = static_cast<int>(layers.size()) - 1;
  PinSet set;
  for (int l = 1; l <= L; ++l) set.z.push_back(unpinned(layers[static_cast<size_t>(l)]));
  for (int l = 1; l < L; ++l) set.a.push_back(unpinned(layers[static_cast<size_t>(l)]));
  set.a_out = unpinned(layers.back());
  std::vector<std::vector<int>> hard_by(static_cast<size_t>(2 * L + 1));  // which pin hard-pinned a coordinate
  int index = 0;
  for (const json& j : doc["pins"]) {
    Pin p;
    p.index = ++index;
    const std::string where = fmt::format("{}: pin {}", origin, p.index);
    if (!j.is_object()) throw InputError(fmt::format("{} is not an object", where));
    for (const auto& [key, v] : j.items())
      if (key != "kind" && key != "stalk" && key != "layer" && key != "coords" && key != "values" && key != "gamma")
        throw InputError(fmt::format("{}: unknown key '{}' (expected kind, stalk, layer, coords, values, gamma)", where, key));
    auto str = [&](const char* key) {
      if (!j.contains(key) || !j[key].is_string()) throw InputError(fmt::format("{}: \"{}\" must be a string", where, key));
      return j[key].get<std::string>();
    };
    const std::string kind = str("kind"), stalk = str("stalk");
    if (kind == "hard") p.kind = PinKind::Hard;
    else if (kind == "soft") p.kind = PinKind::Soft;
    else if (kind == "free") p.kind = PinKind::Free;
    else throw InputError(fmt::format("{}: unknown kind '{}' (expected hard, soft or free)", where, kind));
    if (stalk == "z") p.stalk = PinStalk::Z;
    else if (stalk == "a") p.stalk = PinStalk::A;
    else if (stalk == "a_out") p.stalk = PinStalk::AOut;
    else throw InputError(fmt::format("{}: unknown stalk '{}' (expected z, a or a_out)", where, stalk));
    if (p.stalk == PinStalk::AOut && !j.contains("layer")) {
      p.layer = L;
    } else {
      if (!j.contains("layer") || !j["layer"].is_number_integer())
        throw InputError(fmt::format("{}: \"layer\" must be an integer", where));
      const long long layer = index_value(j["layer"]);
      if (layer < std::numeric_limits<int>::min() || layer > std::numeric_limits<int>::max())  // the stalk's own range below
        throw InputError(fmt::format("{}: layer {} out of range (the network's layers are 0..{})", where, j["layer"].dump(), L));
      p.layer = static_cast<int>(layer);
    }
    const std::string who = fmt::format("{}: {}", origin, p.name());
    // Where the stalk exists, and what may pin it.
    if (p.stalk == PinStalk::Z && (p.layer < 1 || p.layer > L))
      throw InputError(fmt::format("{}: layer {} out of range (z_l exists for l = 1..{})", who, p.layer, L));
    if (p.stalk == PinStalk::A && (p.layer < 0 || p.layer > L - 1))
      throw InputError(fmt::format("{}: layer {} out of range (a_l exists for l = 0..{}; the output is z_{}{})", who,
                                   p.layer, L - 1, L, output == OutputKind::Identity ? "" : " or a_out"));
    if (p.stalk == PinStalk::AOut) {
      if (output == OutputKind::Identity)
        throw InputError(fmt::format("{}: a_out exists only with a sigmoid or softmax output (this network's output is z_{})", who, L));
      if (p.layer != L) throw InputError(fmt::format("{}: layer {} out of range (a_out is layer {})", who, p.layer, L));
      if (use == PinUse::Training)
        throw InputError(fmt::format("{}: a_out is the training target, pinned to the data", who));
    }
    const bool input = p.stalk == PinStalk::A && p.layer == 0;
    if (input && p.kind != PinKind::Free)
      throw InputError(fmt::format("{}: the input a_0 is pinned to the data; only \"kind\": \"free\" applies to it", who));
    if (p.kind == PinKind::Free && !input)
      throw InputError(fmt::format("{}: \"free\" applies to coordinates of the input a_0 only", who));
    if (p.kind == PinKind::Free && use == PinUse::Training)
      throw InputError(fmt::format("{}: free input coordinates move only in inference (training pins the input)", who));
    // Coordinates.
    const int n = p.stalk == PinStalk::AOut ? layers.back() : layers[static_cast<size_t>(p.layer)];
    if (!j.contains("coords")) throw InputError(fmt::format("{}: \"coords\" is required (a list of indices or \"all\")", who));
    const json& c = j["coords"];
    if (c.is_string() && c.get<std::string>() == "all") {
      for (int i = 0; i < n; ++i) p.coords.push_back(i);
    } else if (c.is_array() && !c.empty()) {
      for (const json& v : c) {
        if (!v.is_number_integer()) throw InputError(fmt::format("{}: coords must be integers or \"all\"", who));
        const long long wide = index_value(v);
        if (wide < 0 || wide >= n)
          throw InputError(fmt::format("{}: coordinate {} out of range ({} has {} coordinates, 0..{})", who, v.dump(),
                                       stalk_name(p.stalk, p.layer), n, n - 1));
        const int i = static_cast<int>(wide);
        if (std::find(p.coords.begin(), p.coords.end(), i) != p.coords.end())
          throw InputError(fmt::format("{}: coordinate {} listed twice", who, i));
        p.coords.push_back(i);
      }
    } else {
      throw InputError(fmt::format("{}: \"coords\" must be a non-empty list of indices or \"all\"", who));
    }
    // Values and strength.
    if (p.kind == PinKind::Free) {
      if (j.contains("values") || j.contains("gamma"))
        throw InputError(fmt::format("{}: a free pin takes no values or gamma (the coordinates move)", who));
    } else {
      if (!j.contains("values")) throw InputError(fmt::format("{}: \"values\" is required (a number or one per coordinate)", who));
      const json& v = j["values"];
      if (v.is_number()) {
        p.values.assign(p.coords.size(), v.get<double>());
      } else if (v.is_array()) {
        if (v.size() != p.coords.size())
          throw InputError(fmt::format("{}: {} values for {} coordinates (give one per coordinate, or a number)", who,
                                       v.size(), p.coords.size()));
        for (const json& x : v) {
          if (!x.is_number()) throw InputError(fmt::format("{}: values must be numbers", who));
          p.values.push_back(x.get<double>());
        }
      } else {
        throw InputError(fmt::format("{}: \"values\" must be a number or a list of numbers", who));
      }
      for (double x : p.values)
        if (!std::isfinite(x)) throw InputError(fmt::format("{}: value {} is not finite", who, x));
      if (p.kind == PinKind::Soft) {
        if (!j.contains("gamma") || !j["gamma"].is_number())
          throw InputError(fmt::format("{}: a soft pin needs \"gamma\", its strength (a number >= 0)", who));
        p.gamma = j["gamma"].get<double>();
        if (!std::isfinite(p.gamma) || p.gamma < 0)
          throw InputError(fmt::format("{}: gamma = {} must be finite and >= 0", who, p.gamma));
      } else if (j.contains("gamma")) {
        throw InputError(fmt::format("{}: a hard pin takes no gamma (it sets the values)", who));
      }
    }
    // Resolve onto the stalk's coordinates.
    if (p.kind == PinKind::Free) {
      for (int i : p.coords)
        if (std::find(set.free_inputs.begin(), set.free_inputs.end(), i) == set.free_inputs.end()) set.free_inputs.push_back(i);
      std::sort(set.free_inputs.begin(), set.free_inputs.end());
    } else {
      StalkPins& sp = p.stalk == PinStalk::Z ? set.z[static_cast<size_t>(p.layer - 1)]
                      : p.stalk == PinStalk::A ? set.a[static_cast<size_t>(p.layer - 1)]
                                               : set.a_out;
      std::vector<int>& owner = hard_by[static_cast<size_t>(p.stalk == PinStalk::Z ? p.layer - 1
                                                             : p.stalk == PinStalk::A ? L + p.layer - 1
                                                                                      : 2 * L)];
      owner.resize(static_cast<size_t>(n), 0);
      for (size_t k = 0; k < p.coords.size(); ++k) {
        const auto i = static_cast<size_t>(p.coords[k]);
        if (p.kind == PinKind::Hard) {
          if (owner[i] != 0 && sp.hard[i] != p.values[k])
            throw InputError(fmt::format("{}: pins {} and {} hard-pin {}[{}] to different values", origin, owner[i],
                                         p.index, stalk_name(p.stalk, p.layer), i));
          owner[i] = p.index;
          sp.hard[i] = p.values[k];
        } else {
          const double g = sp.gamma[i] + p.gamma;  // soft pins on one coordinate add up
          sp.target[i] = g > 0 ? (sp.gamma[i] * sp.target[i] + p.gamma * p.values[k]) / g : p.values[k];
          sp.gamma[i] = g;
        }
      }
    }
    set.pins.push_back(std::move(p));
  }
  // A hard pin wins over soft pins on the same coordinate: say so once per stalk.
  auto overlap = [&set](const StalkPins& sp, const std::string& name) {
    int n = 0;
    for (size_t i = 0; i < sp.hard.size(); ++i) n += !std::isnan(sp.hard[i]) && sp.gamma[i] > 0 ? 1 : 0;
    if (n > 0)
      set.warnings.push_back(fmt::format("pins: {} coordinate(s) of {} are hard- and soft-pinned; the hard pin wins",
                                         n, name));
  };
  for (int l = 1; l <= L; ++l) overlap(set.z[static_cast<size_t>(l - 1)], stalk_name(PinStalk::Z, l));
  for (int l = 1; l < L; ++l) overlap(set.a[static_cast<size_t>(l - 1)], stalk_name(PinStalk::A, l));
  overlap(set.a_out, "a_out");
  return set;
}

PinSet read_pins(const std::string& path, const Network& net, PinUse use) {
  return parse_pins(read_text_file(path), path, net.layers, net.output, use);
}

}  // namespace sheafsim
