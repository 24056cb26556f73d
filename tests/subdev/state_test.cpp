// Device state survives restarts; a corrupt file never stops the daemon.
#include <catch2/catch.hpp>

#include <fstream>

#include "subdev/device_state.hpp"
#include "subdev/registry.hpp"
#include "tests/support/run_with_timeout.hpp"
#include "tests/support/temp_dir.hpp"

using namespace otagw;
using namespace otagw::subdev;
using otagw::test_support::TempDir;

TEST_CASE("device state is saved atomically and loaded back", "[unit][state]") {
  TempDir dir;
  asio::io_context io;
  asio::thread_pool pool(1);
  {
    DeviceStateStore store(dir.path());
    store.load();
    auto& device = store.at("a1P.dev-1");
    device.topology_added = true;
    device.installed_versions[""] = "1.0.0";
    device.installed_versions["mcu"] = "2.1";
    device.last_check_ms = 1234;
    device.last_result = "up_to_date";
    store.mark_dirty();
    std::error_code saved;
    test_support::run_with_timeout(io, [](DeviceStateStore& s, asio::thread_pool& p, std::error_code& out)
                                           -> asio::awaitable<void> { out = co_await s.async_save(p.get_executor()); }(
                                               store, pool, saved));
    CHECK_FALSE(saved);
    CHECK_FALSE(store.dirty());
    CHECK_FALSE(std::filesystem::exists(dir.path() / "devices.json.tmp"));
  }
  DeviceStateStore reloaded(dir.path());
  reloaded.load();
  const DeviceState* device = reloaded.find("a1P.dev-1");
  REQUIRE(device);
  CHECK(device->topology_added);
  CHECK(device->installed_versions.at("") == "1.0.0");
  CHECK(device->installed_versions.at("mcu") == "2.1");
  CHECK(device->last_check_ms == 1234);
  CHECK(device->last_result == "up_to_date");
  CHECK(reloaded.find("a1P.other") == nullptr);
  pool.join();
}

TEST_CASE("a corrupt state file is moved aside and the store starts empty", "[unit][state]") {
  TempDir dir;
  std::ofstream(dir.path() / "devices.json") << "{\"version\":1,\"devices\":{\"a\": trunc";
  DeviceStateStore store(dir.path());
  store.load();
  CHECK(store.find("a") == nullptr);
  CHECK(std::filesystem::exists(dir.path() / "devices.json.broken"));
  CHECK_FALSE(std::filesystem::exists(dir.path() / "devices.json"));
}

TEST_CASE("the registry groups a device's modules", "[unit][registry]") {
  std::vector<config::SubdeviceConfig> entries(3);
  entries[0].product_key = "a1P";
  entries[0].device_name = "dev-1";
  entries[0].version = "1.0";
  entries[0].plugin = "copy";
  entries[1] = entries[0];
  entries[1].module = "mcu";
  entries[1].version = "3.0";
  entries[2] = entries[0];
  entries[2].device_name = "dev-2";
  Registry registry(entries);
  REQUIRE(registry.devices().size() == 2);
  const Subdevice* first = registry.find("a1P", "dev-1");
  REQUIRE(first);
  REQUIRE(first->modules.size() == 2);
  CHECK(first->modules[0].name.empty());
  CHECK(first->modules[1].name == "mcu");
  CHECK(first->modules[1].configured_version == "3.0");
  CHECK(first->key() == "a1P.dev-1");
  CHECK(registry.find("a1P", "dev-3") == nullptr);
}
