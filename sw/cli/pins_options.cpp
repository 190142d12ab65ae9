#include "pins_options.h"

#include "console.h"
#include "sheafsim/train/report_json.h"

namespace sheafsim::cli {

std::shared_ptr<const PinSet> load_pins(const std::string& path, const Network& net, PinUse use) {
  if (path.empty()) return nullptr;
  auto pins = std::make_shared<const PinSet>(read_pins(path, net, use));
  for (const std::string& w : pins->warnings) warn(w);
  return pins;
}

nlohmann::json pins_setting(const std::string& path, const std::shared_ptr<const PinSet>& pins) {
  return pins ? pins_json(path, *pins) : nlohmann::json();
}

SoftPull soft_pull(const std::shared_ptr<const PinSet>& pins) { return pins ? pins->strongest_pull() : SoftPull{}; }

}  // namespace sheafsim::cli
