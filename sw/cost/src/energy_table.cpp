#include "sheafsim/cost/energy_table.h"

#include <cmath>
#include <fstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "sheafsim/base/error.h"
#include "sheafsim/base/file_io.h"

namespace sheafsim::ops {

const std::map<std::string, std::string>& EnergyTable::actions() {
  static const std::map<std::string, std::string> a = {
      {"mult_int8", "pJ"},          {"mult_int16", "pJ"},         {"mult_int32", "pJ"},
      {"add_int8", "pJ"},           {"add_int16", "pJ"},          {"add_int32", "pJ"},
      {"sram_read_bit", "pJ/bit"},  {"sram_write_bit", "pJ/bit"}, {"register_write_bit", "pJ/bit"},
      {"link_bit_hop", "pJ/bit/hop"},
      {"leakage_pe", "uW"},         {"leakage_sram_bit", "pW/bit"}, {"leakage_link", "uW"}};
  return a;
}

namespace {

std::string expected_actions() {
  std::string s;
  for (const auto& [k, unit] : EnergyTable::actions()) s += (s.empty() ? "" : ", ") + k;
  return s;
}

std::string string_field(const toml::node& node, const std::string& origin, const std::string& key) {
  if (auto s = node.as_string()) return s->get();
  throw InputError(fmt::format("{}: {} must be a string", origin, key));
}

}  // namespace

EnergyTable EnergyTable::load(const std::string& path) { return parse(read_text_file(path), path); }

EnergyTable EnergyTable::parse(const std::string& text, const std::string& origin) {
  toml::table t;
  try {
    t = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}: invalid TOML at line {}: {}", origin, e.source().begin.line, e.description()));
  }
  EnergyTable et;
  et.file_ = origin;
  for (const auto& [k, node] : t) {
    const std::string key(k.str());
    if (key == "name") et.name_ = string_field(node, origin, key);
    else if (key == "technology") et.technology_ = string_field(node, origin, key);
    else if (key == "reference") et.reference_ = string_field(node, origin, key);
    else if (actions().count(key) == 0)
      throw InputError(fmt::format("{}: unknown key '{}' (expected name, technology, reference and the entries {})",
                                   origin, key, expected_actions()));
    else {
      const toml::table* e = node.as_table();
      if (e == nullptr)
        throw InputError(fmt::format("{}: '{}' must be a table with value, unit and source", origin, key));
      EnergyEntry entry;
      bool has_value = false;
      for (const auto& [fk, fnode] : *e) {
        const std::string field(fk.str()), full = key + "." + field;
        if (field == "value") {
          if (auto d = fnode.as_floating_point()) entry.value = d->get();
          else if (auto i = fnode.as_integer()) entry.value = static_cast<double>(i->get());
          else throw InputError(fmt::format("{}: {} must be a number", origin, full));
          has_value = true;
        } else if (field == "unit") {
          entry.unit = string_field(fnode, origin, full);
        } else if (field == "source") {
          entry.source = string_field(fnode, origin, full);
        } else if (field != "note") {
          throw InputError(
              fmt::format("{}: unknown key '{}' (an entry has value, unit, source and an optional note)", origin, full));
        }
      }
      if (!has_value) throw InputError(fmt::format("{}: {}.value is missing", origin, key));
      if (!std::isfinite(entry.value) || entry.value < 0)
        throw InputError(fmt::format("{}: {}.value = {} must be a finite number >= 0", origin, key, entry.value));
      const std::string& unit = actions().at(key);
      if (entry.unit != unit)
        throw InputError(fmt::format("{}: {}.unit = '{}' must be '{}'", origin, key, entry.unit, unit));
      if (entry.source.empty())
        throw InputError(fmt::format("{}: {}.source is missing (every entry states its provenance)", origin, key));
      et.entries_[key] = entry;
    }
  }
  for (const auto& [k, unit] : actions())
    if (et.entries_.count(k) == 0)
      throw InputError(fmt::format("{}: missing entry '{}' (value in {}, unit, source)", origin, k, unit));
  if (et.name_.empty()) throw InputError(fmt::format("{}: missing key 'name'", origin));
  if (et.technology_.empty()) throw InputError(fmt::format("{}: missing key 'technology'", origin));
  return et;
}

const EnergyEntry& EnergyTable::entry(const std::string& action) const {
  const auto it = entries_.find(action);
  if (it == entries_.end()) throw InputError(fmt::format("{}: no entry '{}'", file_, action));
  return it->second;
}

double EnergyTable::multiply_pJ(int bits) const {
  if (bits <= 8) return entry("mult_int8").value;
  if (bits <= 16) return entry("mult_int16").value;
  const double e32 = entry("mult_int32").value;
  if (bits <= 32) return e32;
  const double r = static_cast<double>(bits) / 32.0;
  return e32 * r * r;
}

double EnergyTable::add_pJ(int bits) const {
  if (bits <= 8) return entry("add_int8").value;
  if (bits <= 16) return entry("add_int16").value;
  const double e32 = entry("add_int32").value;
  if (bits <= 32) return e32;
  return e32 * static_cast<double>(bits) / 32.0;
}

double EnergyTable::price_pJ(const OpItem& it) const {
  const double n = static_cast<double>(it.count);
  switch (it.op) {
    case Op::Mac: return n * (multiply_pJ(std::max(it.bits, it.bits_b)) + add_pJ(it.acc_bits));
    case Op::UpdateMultiply:
    case Op::ConstantMultiply: return n * multiply_pJ(it.bits);
    case Op::Add:
    case Op::Compare: return n * add_pJ(it.bits);
    case Op::RegisterWrite: return n * static_cast<double>(it.bits) * entry("register_write_bit").value;
  }
  return 0.0;
}

double EnergyTable::sram_read_pJ(std::uint64_t bits) const {
  return static_cast<double>(bits) * entry("sram_read_bit").value;
}
double EnergyTable::sram_write_pJ(std::uint64_t bits) const {
  return static_cast<double>(bits) * entry("sram_write_bit").value;
}
double EnergyTable::link_pJ(std::uint64_t flit_hops, int link_width_bits) const {
  return static_cast<double>(flit_hops) * link_width_bits * entry("link_bit_hop").value;
}

double EnergyTable::static_power_uW(std::uint64_t pes, std::uint64_t sram_bits, std::uint64_t links) const {
  return static_cast<double>(pes) * entry("leakage_pe").value +
         static_cast<double>(sram_bits) * entry("leakage_sram_bit").value * 1e-6 +
         static_cast<double>(links) * entry("leakage_link").value;
}

nlohmann::json EnergyTable::to_json() const {
  nlohmann::json e = nlohmann::json::object();
  for (const auto& [k, v] : entries_) e[k] = {{"value", v.value}, {"unit", v.unit}, {"source", v.source}};
  return {{"file", file_}, {"name", name_}, {"technology", technology_}, {"reference", reference_}, {"entries", e}};
}

double energy_total_pJ(const OpCounts& counts, const EnergyTable& table) {
  double t = 0;
  for (const OpItem& it : counts.items()) t += table.price_pJ(it);
  return t;
}

nlohmann::json energy_json(const OpCounts& counts, const EnergyTable& table) {
  double by[6] = {0, 0, 0, 0, 0, 0};
  for (const OpItem& it : counts.items()) by[static_cast<int>(it.op)] += table.price_pJ(it);
  const double total = by[0] + by[1] + by[2] + by[3] + by[4] + by[5];
  const std::uint64_t macs = counts.synapse_macs();
  return {{"synapse_macs_pJ", by[static_cast<int>(Op::Mac)]},
          {"update_multiplies_pJ", by[static_cast<int>(Op::UpdateMultiply)]},
          {"constant_multiplies_pJ", by[static_cast<int>(Op::ConstantMultiply)]},
          {"adds_pJ", by[static_cast<int>(Op::Add)]},
          {"compares_pJ", by[static_cast<int>(Op::Compare)]},
          {"register_writes_pJ", by[static_cast<int>(Op::RegisterWrite)]},
          {"total_pJ", total},
          {"pJ_per_synapse_mac", macs > 0 ? total / static_cast<double>(macs) : 0.0}};
}

namespace {

nlohmann::json unavailable(const std::string& reason) { return {{"available", false}, {"reason", reason}}; }

int param(const nlohmann::json& params, const char* key, const std::string& origin) {
  if (!params.contains(key) || !params[key].is_number_integer())
    throw InputError(fmt::format("{}: a result's params.{} is missing or not an integer", origin, key));
  return params[key].get<int>();
}

}  // namespace

nlohmann::json edge_unit_area(const std::string& synth_report, const FixedConfig& cfg) {
  if (synth_report.empty() || !std::ifstream(synth_report).good())
    return unavailable(fmt::format("no synthesis report at '{}': build it with `cmake --build <build dir> --target "
                                   "synth` (Yosys) and pass --synth-report FILE",
                                   synth_report));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text_file(synth_report));
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(fmt::format("{}: malformed JSON ({})", synth_report, e.what()));
  }
  if (!j.is_object() || !j.contains("results") || !j["results"].is_array())
    throw InputError(fmt::format("{}: not a synthesis report (no \"results\" list; schema sheafsim.edge_unit_synth/1)",
                                 synth_report));
  const std::string quant = fx::to_string(cfg.quant), ovf = fx::to_string(cfg.overflow);
  std::string same_formats, sets;
  for (const auto& r : j["results"]) {
    if (!r.is_object() || !r.contains("params") || !r["params"].is_object())
      throw InputError(fmt::format("{}: a result has no params object", synth_report));
    const nlohmann::json& p = r["params"];
    const std::string set = r.value("set", std::string("?"));
    const std::string rq = r.value("quant", std::string("?")), ro = r.value("overflow", std::string("?"));
    const bool formats = param(p, "S_I", synth_report) == cfg.stalk.int_bits &&
                         param(p, "S_F", synth_report) == cfg.stalk.frac_bits &&
                         param(p, "W_I", synth_report) == cfg.weight.int_bits &&
                         param(p, "W_F", synth_report) == cfg.weight.frac_bits &&
                         param(p, "B_I", synth_report) == cfg.bias.int_bits &&
                         param(p, "B_F", synth_report) == cfg.bias.frac_bits &&
                         param(p, "R_I", synth_report) == cfg.residual.int_bits &&
                         param(p, "R_F", synth_report) == cfg.residual.frac_bits &&
                         param(p, "C_I", synth_report) == cfg.constant.int_bits &&
                         param(p, "C_F", synth_report) == cfg.constant.frac_bits &&
                         param(p, "ACC_W", synth_report) == cfg.acc_bits;
    sets += fmt::format("{}{} {}/{}", sets.empty() ? "" : ", ", set, rq, ro);
    if (!formats) continue;
    same_formats += fmt::format("{}{}/{}", same_formats.empty() ? "" : ", ", rq, ro);
    if (rq != quant || ro != ovf) continue;
    for (const char* k : {"cells", "flip_flops", "transistors"})
      if (!r.contains(k) || !r[k].is_number_integer())
        throw InputError(fmt::format("{}: result {} {}/{} has no integer '{}'", synth_report, set, rq, ro, k));
    return {{"available", true},
            {"file", synth_report},
            {"tool", j.value("tool", std::string())},
            {"parameter_set", set},
            {"quant", rq},
            {"overflow", ro},
            {"area_cells", r["cells"]},
            {"flip_flops", r["flip_flops"]},
            {"transistors", r["transistors"]},
            {"transistors_exclude_flip_flops", r.value("transistors_exclude_flip_flops", false)},
            {"latency_cycles", r.value("latency_cycles", 0)}};
  }
  if (!same_formats.empty())
    return unavailable(fmt::format("{} synthesised these formats with {} only, not --round {} --overflow {}",
                                   synth_report, same_formats, quant, ovf));
  return unavailable(fmt::format("{} has no parameter set with these formats and --acc-bits {} (it has {}); see "
                                 "rtl/param_sets.cmake",
                                 synth_report, cfg.acc_bits, sets));
}

}  // namespace sheafsim::ops
