// The registry carries a device's bus and flash windows from its config
// entries, and a reload that changes either gives the device a new object.
#include <catch2/catch.hpp>
#include <vector>

#include "subdev/registry.hpp"

namespace otagw::subdev {
namespace {

config::SubdeviceConfig entry(const std::string& name, const std::string& module, const std::string& bus,
                              std::optional<std::vector<config::FlashWindow>> windows = std::nullopt) {
  config::SubdeviceConfig out;
  out.product_key = "a1P";
  out.device_name = name;
  out.device_secret = config::Secret("s");
  out.version = "1.0.0";
  out.module = module;
  out.plugin = "p";
  out.bus = bus;
  out.flash_windows = std::move(windows);
  return out;
}

TEST_CASE("a device takes its bus and flash windows from its entries", "[unit]") {
  const std::vector<config::FlashWindow> night{{79200, 7200}};
  const Registry registry({entry("dev-1", "", "uart1", night), entry("dev-2", "", "default"),
                           entry("dev-1", "mcu", "uart1", night),
                           entry("dev-3", "", "can0", std::vector<config::FlashWindow>{})});
  REQUIRE(registry.devices().size() == 3);
  const Subdevice* one = registry.find("a1P", "dev-1");
  REQUIRE(one != nullptr);
  CHECK(one->modules.size() == 2);
  CHECK(one->bus == "uart1");
  CHECK(one->flash_windows == night);
  const Subdevice* two = registry.find("a1P", "dev-2");
  CHECK(two->bus == "default");
  CHECK_FALSE(two->flash_windows.has_value());
  const Subdevice* three = registry.find("a1P", "dev-3");
  CHECK(three->bus == "can0");
  REQUIRE(three->flash_windows.has_value());
  CHECK(three->flash_windows->empty());
}

TEST_CASE("a reload that changes a device's bus or windows updates it, and keeps the others", "[unit]") {
  const Registry before({entry("dev-1", "", "uart1"), entry("dev-2", "", "uart2"), entry("dev-3", "", "uart3")});
  const Registry after({entry("dev-1", "", "uart1"), entry("dev-2", "", "uart9"),
                        entry("dev-3", "", "uart3", std::vector<config::FlashWindow>{{7200, 18000}})},
                       &before);
  CHECK(after.find_key("a1P.dev-1") == before.find_key("a1P.dev-1"));  // the very same object
  const RegistryDiff changes = diff(before, after);
  CHECK(changes.added.empty());
  CHECK(changes.removed.empty());
  REQUIRE(changes.updated.size() == 2);
  CHECK(changes.updated[0]->bus == "uart9");
  CHECK(changes.updated[1]->flash_windows == std::vector<config::FlashWindow>{{7200, 18000}});
}

}  // namespace
}  // namespace otagw::subdev
