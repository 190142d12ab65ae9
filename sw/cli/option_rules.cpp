#include "option_rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>

#include "console.h"
#include "sheafsim/base/error.h"

namespace sheafsim::cli {

namespace {

std::set<const CLI::Option*>& typed_options() {
  static std::set<const CLI::Option*> s;
  return s;
}

// Old spellings, accepted for one release (docs/cli.md "Deprecated aliases").
struct Alias {
  const char* sub;
  const char* alias;
  const char* replacement;
};
const Alias kAliases[] = {
    {"init", "--seed", "--weight-seed"},
    {"data", "--seed", "--data-seed"},
    {"data", "--n", "--n-train"},
    {"data", "--test-n", "--n-test"},
    {"data", "--val-n", "--n-val"},
    {"infer", "--seed", "--stalk-seed"},
    {"train", "--seed", "--stalk-seed (sheaf) or --sid-seed (sid)"},
    {"train", "--init-seed", "--weight-seed"},
    {"simulate", "--seed", "--stalk-seed"},
    {"simulate", "--init-seed", "--weight-seed"},
    {"compare", "--seed", "--stalk-seed"},
    {"compare", "--init-seed", "--weight-seed"},
};

// Settings a subcommand always has: naming them with that value is harmless
// (a warning, then dropped); any other value is an error. value "" is a flag.
struct Implied {
  const char* sub;
  const char* option;
  const char* value;
  const char* error;  // {} is the value given
};
const Implied kImplied[] = {
    {"simulate", "--arith", "fixed", "simulate runs the fixed-point mesh; --arith must be fixed (got '{}')"},
    {"compare", "--arith", "fixed",
     "compare runs float and fixed point side by side; --arith must stay fixed (got '{}')"},
    {"compare", "--method", "sheaf", "compare runs --method sheaf only (got '{}')"},
    {"compare", "--mode", "train", "compare trains; --mode must be train (got '{}')"},
    {"compare", "--compare-float", "", ""},
};

// Options of other subcommands that need more than "belongs to".
struct Hint {
  const char* sub;
  const char* option;
  const char* message;
};
const char* const kOpsSimulateOnly =
    "{}: ops computes the mesh counts analytically; --counters, --trace, --trace-window, --rtl-pe, --rtl-timing and --rtl-chunks belong to "
    "`sheafsim simulate`";
const Hint kHints[] = {
    {"compare", "--report", "--report belongs to train; compare writes DIR/compare.json (--out DIR)"},
    {"compare", "--out-net", "--out-net belongs to train; compare does not write networks"},
    {"ops", "--counters", kOpsSimulateOnly},
    {"ops", "--trace", kOpsSimulateOnly},
    {"ops", "--trace-window", kOpsSimulateOnly},
    {"ops", "--rtl-pe", kOpsSimulateOnly},
    {"ops", "--rtl-timing", kOpsSimulateOnly},
    {"ops", "--rtl-chunks", kOpsSimulateOnly},
};

std::string quoted_list(const std::vector<std::string>& subs) {
  std::string s;
  for (size_t i = 0; i < subs.size(); ++i) {
    if (i > 0) s += i + 1 == subs.size() ? " and " : ", ";
    s += "`sheafsim " + subs[i] + "`";
  }
  return s;
}

// The message for an option `name` that `sub` does not have.
std::string unknown_option(const CLI::App& app, const CLI::App& sub, const std::string& name) {
  const std::string here = sub.get_name();
  for (const Hint& h : kHints)
    if (here == h.sub && name == h.option) return fmt::format(h.message, name);
  std::vector<std::string> owners;
  for (const CLI::App* s : app.get_subcommands({}))
    if (s != &sub && s->get_option_no_throw(name) != nullptr) owners.push_back(s->get_name());
  if (!owners.empty())
    return fmt::format("{} belongs to {}, not to `sheafsim {}` (see sheafsim {} --help)", name, quoted_list(owners),
                       here, here);
  // The closest of the subcommand's own option names.
  std::string best;
  size_t best_d = 1000;
  const std::string bare = name.substr(2);
  for (const CLI::Option* opt : sub.get_options())
    for (const std::string& l : opt->get_lnames()) {
      const size_t d = edit_distance(bare, l);
      if (d < best_d) best_d = d, best = "--" + l;
    }
  const size_t limit = std::max<size_t>(1, std::min<size_t>(3, bare.size() / 3));
  if (!best.empty() && best_d <= limit)
    return fmt::format("unknown option {} for `sheafsim {}`; did you mean {}?", name, here, best);
  return fmt::format("unknown option {} for `sheafsim {}` (sheafsim {} --help lists its options)", name, here, here);
}

bool is_plain_integer(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i == s.size()) return false;
  return s.find_first_not_of("0123456789", i) == std::string::npos;
}

// `text` as an exact integer in the decimal form CLI11 converts; throws InputError.
std::string integer_text(const std::string& text, const std::string& name, bool is_unsigned, long long min) {
  const std::string what = fmt::format("{} = {}", name, text);
  long double v = 0;
  if (is_plain_integer(text)) {
    errno = 0;
    char* end = nullptr;
    if (text[0] == '-') {
      const long long x = std::strtoll(text.c_str(), &end, 10);
      if (errno == ERANGE) throw InputError(fmt::format("{} is too large a count", what));
      v = static_cast<long double>(x);
    } else {
      const unsigned long long x = std::strtoull(text.c_str(), &end, 10);
      if (errno == ERANGE || (!is_unsigned && x > 9223372036854775807ULL))
        throw InputError(fmt::format("{} is too large a count", what));
      v = static_cast<long double>(x);
    }
  } else {
    errno = 0;
    char* end = nullptr;
    const double d = std::strtod(text.c_str(), &end);
    if (text.empty() || end == nullptr || *end != '\0')
      throw InputError(fmt::format("{} is not an integer (write 100000 or 1e5)", what));
    if (!std::isfinite(d) || d != std::floor(d)) throw InputError(fmt::format("{} is not a whole number", what));
    if (std::fabs(d) >= 9.2e18) throw InputError(fmt::format("{} is too large a count", what));
    v = static_cast<long double>(d);
  }
  if (is_unsigned && v < 0) throw InputError(fmt::format("{} must be >= 0", what));
  if (v < static_cast<long double>(min)) throw InputError(fmt::format("{} must be >= {}", what, min));
  if (is_plain_integer(text)) return text;
  return fmt::format("{}", static_cast<long long>(v));
}

}  // namespace

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

const CLI::App* find_subcommand(const CLI::App& app, const std::vector<std::string>& args, size_t* at) {
  for (size_t i = 0; i < args.size(); ++i)
    for (const CLI::App* s : app.get_subcommands({}))
      if (s->get_name() == args[i]) {
        if (at != nullptr) *at = i;
        return s;
      }
  return nullptr;
}

std::vector<std::string> check_typed_options(const CLI::App& app, const std::vector<std::string>& args) {
  size_t at = 0;
  const CLI::App* sub = find_subcommand(app, args, &at);
  if (sub == nullptr) return args;
  const std::string here = sub->get_name();
  const bool help = std::any_of(args.begin() + static_cast<long>(at), args.end(),
                                [](const std::string& a) { return a == "--help" || a == "-h"; });
  std::vector<std::string> out(args.begin(), args.begin() + static_cast<long>(at) + 1);
  for (size_t i = at + 1; i < args.size(); ++i) {
    const std::string& t = args[i];
    if (t == "--") {
      out.insert(out.end(), args.begin() + static_cast<long>(i), args.end());
      break;
    }
    if (t.size() <= 2 || t.compare(0, 2, "--") != 0) {
      out.push_back(t);
      continue;
    }
    const size_t eq = t.find('=');
    const std::string name = t.substr(0, eq);
    if (const CLI::Option* opt = sub->get_option_no_throw(name)) {
      typed_options().insert(opt);
      for (const Alias& a : kAliases)
        if (here == a.sub && name == a.alias)
          deferred_warning(
              fmt::format("{} is a deprecated alias of {} (accepted for one more release)", name, a.replacement));
      out.push_back(t);
      continue;
    }
    bool implied = false;
    for (const Implied& m : kImplied) {
      if (here != m.sub || name != m.option) continue;
      implied = true;
      const bool flag = *m.value == '\0';
      std::string value;
      if (!flag) {
        if (eq != std::string::npos)
          value = t.substr(eq + 1);
        else if (i + 1 < args.size())
          value = args[++i];
      }
      if (!flag && value != m.value) throw InputError(fmt::format(m.error, value));
      deferred_warning(
          flag ? fmt::format("{}: `sheafsim {}` always does this; the option is not needed (ignored)", name, here)
               : fmt::format("{} {}: `sheafsim {}` always runs this; the option is not needed (ignored)", name, value,
                             here));
    }
    if (implied) continue;
    if (help) {
      out.push_back(t);
      continue;
    }
    throw InputError(unknown_option(app, *sub, name));
  }
  return out;
}

namespace {
std::vector<std::string>& deferred() {
  static std::vector<std::string> v;
  return v;
}
}  // namespace

void deferred_warning(const std::string& message) { deferred().push_back(message); }

namespace {
std::string& config_origin() {
  static std::string s;
  return s;
}
}  // namespace

void set_config_origin(const std::string& path) { config_origin() = path; }

void print_deferred_warnings() {
  for (const std::string& m : deferred()) warn(m);
  deferred().clear();
}

bool implied_option(const std::string& sub, const std::string& name, const std::string& value, std::string* error) {
  for (const Implied& m : kImplied) {
    if (sub != m.sub || name != m.option) continue;
    const bool flag = *m.value == '\0';
    if (!flag && value != m.value) *error = fmt::format(m.error, value);
    return true;
  }
  return false;
}

bool typed(const CLI::App& sub, const std::string& name) {
  const CLI::Option* opt = sub.get_option_no_throw(name);
  return opt != nullptr && typed_options().count(opt) > 0;
}

std::string first_typed(const CLI::App& sub, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (typed(sub, n)) return n;
  return {};
}

void refuse_typed(const CLI::App& sub, std::initializer_list<const char*> names, const std::string& why) {
  std::vector<std::string> from_config;
  for (const char* n : names) {
    const CLI::Option* opt = sub.get_option_no_throw(n);
    if (opt == nullptr || opt->count() == 0) continue;
    if (opt->get_expected_min() == 0 && !opt->as<bool>()) continue;  // a flag set to false asks for nothing
    if (typed_options().count(opt) > 0) throw InputError(fmt::format("{} {}", n, why));
    from_config.push_back(std::string(n).substr(2));
  }
  if (from_config.empty()) return;
  deferred_warning(fmt::format("{}: {} not used by this run ({}); ignored",
                               config_origin().empty() ? "--config" : config_origin(), fmt::join(from_config, ", "),
                               why));
}

std::string conversion_message(const CLI::App& app, const std::string& what) {
  const std::string prefix = "Could not convert: ";
  const size_t eq = what.find(" = ");
  if (what.compare(0, prefix.size(), prefix) != 0 || eq == std::string::npos) return what;
  const std::string name = what.substr(prefix.size(), eq - prefix.size());
  const std::string value = what.substr(eq + 3);
  std::string type;
  for (const CLI::App* s : app.get_subcommands({}))
    if (const CLI::Option* opt = s->parsed() ? s->get_option_no_throw(name) : nullptr) type = opt->get_type_name();
  if (type == "FLOAT") return fmt::format("{} = {} is not a number", name, value);
  if (type.rfind("true|false", 0) == 0 || type == "BOOLEAN")
    return fmt::format("{} = {} must be true or false", name, value);
  if (type == "INT" || type == "UINT" || type.rfind("INT:", 0) == 0 || type.rfind("UINT:", 0) == 0)
    return fmt::format("{} = {} is out of range for this integer option", name, value);
  return what;
}

void add_integer_parsing(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands({})) {
    for (CLI::Option* opt : sub->get_options({})) {
      const std::string type = opt->get_type_name();
      if (type != "INT" && type != "UINT") continue;
      const std::string name = opt->get_name();
      const bool is_unsigned = type == "UINT";
      const long long min = name == "--steps" ? 1 : std::numeric_limits<long long>::min();
      opt->transform(CLI::Validator(
          [name, is_unsigned, min](std::string& s) {
            s = integer_text(s, name, is_unsigned, min);
            return std::string();
          },
          "", "integer"));
    }
  }
}

}  // namespace sheafsim::cli
