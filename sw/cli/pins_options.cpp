#include "pins_options.h"

#include "console.h"
#include "sheafsim/train/report_json.h"

namespace sheafsim::cli {

std::shared_ptr<const PinSet> load_pins(const std::string& path, const Network& net, PinUse use,
                                        nlohmann::json* settings) {
  if (settings != nullptr) (*settings)["pins"] = nullptr;
  if (path.empty()) return nullptr;
  auto pins = std::make_shared<const PinSet>(read_pins(path, net, use));
  for (const std::string& w : pins->warnings) warn(w);
  if (settings != nullptr) (*settings)["pins"] = pins_json(path, *pins);
  return pins;
}

SoftPull soft_pull(const std::shared_ptr<const PinSet>& pins) { return pins ? pins->strongest_pull() : SoftPull{}; }

}  // namespace sheafsim::cli
