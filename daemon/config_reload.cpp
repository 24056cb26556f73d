#include "daemon/config_reload.hpp"

namespace otagw::daemon {
namespace {

bool same_subdevices(const std::vector<config::SubdeviceConfig>& a, const std::vector<config::SubdeviceConfig>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto& x = a[i];
    const auto& y = b[i];
    // Where an entry was declared is no change.
    if (x.product_key != y.product_key || x.device_name != y.device_name || !(x.device_secret == y.device_secret) ||
        x.version != y.version || x.module != y.module || x.plugin != y.plugin || x.params != y.params ||
        x.bus != y.bus || x.flash_windows != y.flash_windows) {
      return false;
    }
  }
  return true;
}

}  // namespace

ReloadPlan plan_reload(const config::Config& running, const config::Config& next) {
  ReloadPlan plan;
  if (!(running.gateway == next.gateway)) plan.changed_sections.emplace_back("gateway");
  if (!(running.mqtt == next.mqtt)) plan.changed_sections.emplace_back("mqtt");
  if (!(running.ota == next.ota)) plan.changed_sections.emplace_back("ota");
  if (!(running.control == next.control)) plan.changed_sections.emplace_back("control");
  if (!(running.log == next.log)) plan.changed_sections.emplace_back("log");
  if (running.plugins != next.plugins) plan.changed_sections.emplace_back("plugins");
  if (!same_subdevices(running.subdevices, next.subdevices) || running.subdevices_dir != next.subdevices_dir) {
    plan.changed_sections.emplace_back("subdevices");
  }

  // Another gateway is another daemon: its topology, state and sessions
  // are not this one's.
  if (running.gateway.product_key != next.gateway.product_key) {
    plan.refusals.push_back("gateway.product_key: changed; another gateway needs a restart (systemctl restart otagwd)");
  }
  if (running.gateway.device_name != next.gateway.device_name) {
    plan.refusals.push_back("gateway.device_name: changed; another gateway needs a restart (systemctl restart otagwd)");
  }
  plan.reconnect = !(running.mqtt == next.mqtt) || !(running.gateway.device_secret == next.gateway.device_secret);

  if (running.ota.state_dir != next.ota.state_dir) plan.restart_only.emplace_back("ota.state_dir");
  if (running.ota.runtime_dir != next.ota.runtime_dir) plan.restart_only.emplace_back("ota.runtime_dir");
  if (running.control.socket != next.control.socket) plan.restart_only.emplace_back("control.socket");
  if (running.control.group != next.control.group) plan.restart_only.emplace_back("control.group");
  if (running.control.max_clients != next.control.max_clients) plan.restart_only.emplace_back("control.max_clients");
  return plan;
}

config::Config reloaded_config(const config::Config& running, config::Config next) {
  next.ota.state_dir = running.ota.state_dir;
  next.ota.runtime_dir = running.ota.runtime_dir;
  next.control = running.control;
  return next;
}

}  // namespace otagw::daemon
