#pragma once
// What a reload may change in a running daemon, decided from the old and the
// new config alone (the daemon applies it): which sections changed, whether
// the MQTT session must reconnect, what only a restart applies, and what
// cannot be reloaded at all.
#include <string>
#include <vector>

#include "config/config.hpp"

namespace otagw::daemon {

struct ReloadPlan {
  std::vector<std::string> changed_sections;  // "gateway", "mqtt", "ota", "control", "log", "plugins", "subdevices"
  bool reconnect = false;                     // the session reconnects with the new mqtt section or gateway secret
  // Refusals: the reload is not applied at all ("gateway.product_key: ...").
  std::vector<std::string> refusals;
  // Keys that changed but apply only at a restart; the rest of the reload applies.
  std::vector<std::string> restart_only;
};

[[nodiscard]] ReloadPlan plan_reload(const config::Config& running, const config::Config& next);

// The config the daemon runs on after the reload: `next`, except the keys
// that apply only at a restart, which keep their running values.
[[nodiscard]] config::Config reloaded_config(const config::Config& running, config::Config next);

}  // namespace otagw::daemon
