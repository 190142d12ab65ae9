#include "sheafsim/analysis/sweep.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "sheafsim/base/error.h"
#include "sheafsim/fixed/fixed_point.h"

namespace sheafsim {

namespace {

bool is_format_key(const std::string& k) {
  return k == "stalk" || k == "weight" || k == "bias" || k == "residual" || k == "constant";
}

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b])) != 0) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1])) != 0) --e;
  return s.substr(b, e - b);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t at = s.find(sep, start);
    parts.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

// A whole decimal integer in [lo, hi]; `what` names it in the message.
long parse_int(const std::string& text, long lo, long hi, const std::string& what) {
  const bool digits = !text.empty() && text.size() <= 9 &&
                      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) throw InputError(fmt::format("{} '{}' is not a whole number", what, text));
  const long v = std::stol(text);
  if (v < lo || v > hi) throw InputError(fmt::format("{} {} is outside {}..{}", what, v, lo, hi));
  return v;
}

fx::FixedFormat format_of(const std::string& text, const std::string& setting) {
  return fx::parse_format(text, setting);  // throws InputError naming the setting
}

// Expands "a..b[:step]" (the text of one item) into its values.
std::vector<std::string> expand_range(const std::string& key, const std::string& item, const std::string& setting) {
  const size_t dots = item.find("..");
  std::string hi_text = item.substr(dots + 2);
  long step = 1;
  if (const size_t colon = hi_text.find(':'); colon != std::string::npos) {
    step = parse_int(trim(hi_text.substr(colon + 1)), 1, 64, setting + " range '" + item + "': step");
    hi_text = hi_text.substr(0, colon);
  }
  const std::string lo_text = trim(item.substr(0, dots));
  hi_text = trim(hi_text);
  if (lo_text.empty() || hi_text.empty())
    throw InputError(fmt::format("{}: range '{}' needs a start and an end (like Q4.8..Q4.16)", setting, item));
  std::vector<std::string> out;
  if (is_format_key(key)) {
    const fx::FixedFormat lo = format_of(lo_text, setting), hi = format_of(hi_text, setting);
    if (lo.int_bits != hi.int_bits)
      throw InputError(fmt::format("{}: range '{}' changes the integer bits ({} to {}); a range steps the fractional "
                                   "bits only (list other integer widths with '|')",
                                   setting, item, lo.int_bits, hi.int_bits));
    if (lo.frac_bits > hi.frac_bits)
      throw InputError(fmt::format("{}: range '{}' is empty (its start is above its end)", setting, item));
    for (int f = lo.frac_bits; f <= hi.frac_bits; f += static_cast<int>(step))
      out.push_back(fx::FixedFormat{lo.int_bits, f}.str());
  } else if (key == "acc") {
    const long lo = parse_int(lo_text, 1, 1000, setting), hi = parse_int(hi_text, 1, 1000, setting);
    if (lo > hi) throw InputError(fmt::format("{}: range '{}' is empty (its start is above its end)", setting, item));
    for (long v = lo; v <= hi; v += step) out.push_back(std::to_string(v));
  } else {
    throw InputError(fmt::format("{}: '{}' is a range, but {} takes a list of names (separate them with '|')",
                                 setting, item, key));
  }
  return out;
}

// Validates one plain value and returns its canonical spelling.
std::string canonical(const std::string& key, const std::string& value, const std::string& setting) {
  if (is_format_key(key)) return format_of(value, setting).str();
  if (key == "acc") return std::to_string(parse_int(value, 1, 1000, setting));
  try {
    if (key == "round") return fx::to_string(fx::parse_quant(value));
    return fx::to_string(fx::parse_overflow(value));
  } catch (const InputError& e) {
    throw InputError(fmt::format("{}: {}", setting, e.what()));
  }
}

}  // namespace

const std::vector<std::string>& sweep_keys() {
  static const std::vector<std::string> keys = {"stalk", "weight", "bias", "residual", "constant",
                                                "acc",   "round",  "overflow"};
  return keys;
}

SweepSpec parse_sweep(const std::string& text) {
  if (trim(text).empty())
    throw InputError("--sweep is empty (expected key=value|value,..., like stalk=Q4.8..Q4.16,round=rnd_conv|stoch)");
  SweepSpec spec;
  const std::vector<std::string> axes = split(text, ',');
  for (size_t n = 0; n < axes.size(); ++n) {
    const std::string axis = trim(axes[n]);
    if (axis.empty()) throw InputError(fmt::format("--sweep: axis {} is empty (a stray ',')", n + 1));
    const size_t eq = axis.find('=');
    if (eq == std::string::npos)
      throw InputError(fmt::format("--sweep: '{}' has no '=' (expected key=value|value...)", axis));
    const std::string key = trim(axis.substr(0, eq));
    const auto& keys = sweep_keys();
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      throw InputError(fmt::format("--sweep: unknown key '{}' (expected {})", key, fmt::join(keys, ", ")));
    for (const SweepAxis& a : spec.axes)
      if (a.key == key) throw InputError(fmt::format("--sweep: key '{}' appears twice", key));
    const std::string setting = "--sweep " + key;
    SweepAxis a{key, {}};
    for (const std::string& raw : split(axis.substr(eq + 1), '|')) {
      const std::string item = trim(raw);
      if (item.empty()) throw InputError(fmt::format("{}: empty value (expected {}=value|value...)", setting, key));
      std::vector<std::string> values;
      if (item.find("..") != std::string::npos) values = expand_range(key, item, setting);
      else values.push_back(canonical(key, item, setting));
      for (const std::string& v : values) {
        if (std::find(a.values.begin(), a.values.end(), v) != a.values.end())
          throw InputError(fmt::format("{}: value '{}' appears twice", setting, v));
        a.values.push_back(v);
      }
    }
    spec.axes.push_back(std::move(a));
  }
  size_t points = 1;
  for (const SweepAxis& a : spec.axes) {
    points *= a.values.size();  // every axis has 1..kMaxSweepPoints values here, so this cannot overflow
    if (points > kMaxSweepPoints)
      throw InputError(fmt::format("--sweep: the grid has more than {} points", kMaxSweepPoints));
  }
  return spec;
}

size_t sweep_size(const SweepSpec& spec) {
  size_t n = 1;
  for (const SweepAxis& a : spec.axes) n *= a.values.size();
  return spec.axes.empty() ? 0 : n;
}

std::vector<SweepPoint> sweep_grid(const SweepSpec& spec) {
  std::vector<SweepPoint> grid;
  const size_t n = sweep_size(spec);
  grid.reserve(n);
  for (size_t index = 0; index < n; ++index) {
    SweepPoint p(spec.axes.size());
    size_t rest = index;
    for (size_t k = spec.axes.size(); k-- > 0;) {  // the last axis varies fastest
      const auto& values = spec.axes[k].values;
      p[k] = {spec.axes[k].key, values[rest % values.size()]};
      rest /= values.size();
    }
    grid.push_back(std::move(p));
  }
  return grid;
}

FixedConfig apply_sweep_point(FixedConfig c, const SweepPoint& point) {
  for (const auto& [key, value] : point) {
    const std::string setting = "--sweep " + key;
    if (key == "stalk") c.stalk = fx::parse_format(value, setting);
    else if (key == "weight") c.weight = fx::parse_format(value, setting);
    else if (key == "bias") c.bias = fx::parse_format(value, setting);
    else if (key == "residual") c.residual = fx::parse_format(value, setting);
    else if (key == "constant") c.constant = fx::parse_format(value, setting);
    else if (key == "acc") c.acc_bits = static_cast<int>(parse_int(value, 1, 1000, setting));
    else if (key == "round") c.quant = fx::parse_quant(value);
    else if (key == "overflow") c.overflow = fx::parse_overflow(value);
    else throw InputError(fmt::format("--sweep: unknown key '{}'", key));
  }
  return c;
}

int word_length_bits(const FixedConfig& cfg) { return cfg.stalk.width() + cfg.weight.width(); }

}  // namespace sheafsim
