// What a reload changes, decided from the old and new config alone: the keys
// for parallel jobs and flash windows apply at a reload, none needs a restart.
#include "daemon/config_reload.hpp"

#include <catch2/catch.hpp>

namespace otagw::daemon {
namespace {

config::Config running_config() {
  config::Config config;
  config.gateway.product_key = "a1GwProd01";
  config.gateway.device_name = "gw-0001";
  config::SubdeviceConfig device;
  device.product_key = "a1SubProd1";
  device.device_name = "sub-0000";
  device.version = "1.0";
  device.plugin = "copy";
  config.subdevices.push_back(device);
  return config;
}

TEST_CASE("the same config changes nothing", "[unit]") {
  const ReloadPlan plan = plan_reload(running_config(), running_config());
  CHECK(plan.changed_sections.empty());
  CHECK(plan.restart_only.empty());
  CHECK(plan.refusals.empty());
  CHECK_FALSE(plan.reconnect);
}

TEST_CASE("the ota keys for parallel jobs and flash windows apply at a reload", "[unit]") {
  const config::Config running = running_config();
  const auto changed = [&running](auto&& change) {
    config::Config next = running;
    change(next.ota);
    const ReloadPlan plan = plan_reload(running, next);
    CHECK(plan.changed_sections == std::vector<std::string>{"ota"});
    CHECK(plan.restart_only.empty());
    CHECK(plan.refusals.empty());
    CHECK_FALSE(plan.reconnect);
    // Nothing is held back: the daemon runs on the new values.
    CHECK(reloaded_config(running, next).ota == next.ota);
  };
  changed([](config::OtaConfig& ota) { ota.max_parallel_downloads = 5; });
  changed([](config::OtaConfig& ota) { ota.max_staging_bytes = 4 * 1048576; });
  changed([](config::OtaConfig& ota) { ota.flash_windows = {{7200, 18000}}; });
  changed([](config::OtaConfig& ota) { ota.require_synced_clock = false; });
}

TEST_CASE("a sub-device's bus or flash windows changing is a change of the subdevices", "[unit]") {
  const config::Config running = running_config();
  const auto changed = [&running](auto&& change) {
    config::Config next = running;
    change(next.subdevices[0]);
    const ReloadPlan plan = plan_reload(running, next);
    CHECK(plan.changed_sections == std::vector<std::string>{"subdevices"});
    CHECK(plan.restart_only.empty());
    CHECK(plan.refusals.empty());
    const config::Config applied = reloaded_config(running, next);
    CHECK(applied.subdevices[0].bus == next.subdevices[0].bus);
    CHECK(applied.subdevices[0].flash_windows == next.subdevices[0].flash_windows);
  };
  changed([](config::SubdeviceConfig& device) { device.bus = "uart1"; });
  changed([](config::SubdeviceConfig& device) { device.flash_windows = std::vector<config::FlashWindow>{}; });
  changed([](config::SubdeviceConfig& device) {
    device.flash_windows = std::vector<config::FlashWindow>{{79200, 7200}};
  });
}

}  // namespace
}  // namespace otagw::daemon
