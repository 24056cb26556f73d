// The operator's view (subdev/fleet_status.hpp): rows follow the registry
// across a reload, progress is throttled once for every listener, and a
// change of state is never reported before the last progress.
#include <catch2/catch.hpp>

#include <vector>

#include "subdev/fleet_status.hpp"

using namespace otagw::subdev;
using namespace std::chrono_literals;

namespace {

std::vector<otagw::config::SubdeviceConfig> entries(std::initializer_list<std::pair<const char*, const char*>> list) {
  std::vector<otagw::config::SubdeviceConfig> out;
  for (const auto& [name, module] : list) {
    otagw::config::SubdeviceConfig entry;
    entry.product_key = "a1P";
    entry.device_name = name;
    entry.device_secret = otagw::config::Secret("s");
    entry.version = "1.0.0";
    entry.module = module;
    entry.plugin = "p";
    out.push_back(entry);
  }
  return out;
}

struct Seen {
  std::string kind;
  std::string device;
  std::string state;
  int progress;
};

}  // namespace

TEST_CASE("progress is sent at most every 250 ms per row, the latest value last, and before a change of state",
          "[unit][status]") {
  boost::asio::io_context io;
  const Registry registry(entries({{"dev-1", ""}, {"dev-2", ""}}));
  DeviceStateStore state("/nonexistent");
  FleetStatus fleet(io.get_executor());
  fleet.sync(registry, state);
  std::vector<Seen> seen;
  fleet.set_listener([&seen](const StatusEvent& e) {
    if (e.kind == StatusEvent::Kind::device) {
      seen.push_back({"device", e.row->device_name, std::string(to_string(e.row->state)), e.row->progress});
    }
  });
  fleet.set_activity("a1P.dev-1", "", DeviceActivity::downloading, "2.0.0");
  REQUIRE(seen.size() == 1);
  CHECK(seen.back().state == "downloading");
  CHECK(seen.back().progress == 0);
  for (int p = 1; p <= 50; ++p) fleet.set_download_progress("a1P.dev-1", "", p);
  fleet.set_download_progress("a1P.dev-2", "", 7);  // another row: not held back by dev-1's
  REQUIRE(seen.size() == 2);  // dev-1's progress waits; dev-2's first goes at once
  CHECK(seen.back().device == "dev-2");
  io.run_for(400ms);
  // One line for dev-1 with its latest value, one for dev-2.
  REQUIRE(seen.size() == 3);
  int dev1 = 0;
  for (const auto& s : seen) {
    if (s.device == "dev-1" && s.progress == 50) ++dev1;
  }
  CHECK(dev1 == 1);
  // A change of state right after a progress: the progress first.
  fleet.set_download_progress("a1P.dev-1", "", 99);
  fleet.set_activity("a1P.dev-1", "", DeviceActivity::verifying);
  REQUIRE(seen.size() == 5);
  CHECK(seen[3].progress == 99);
  CHECK(seen[3].state == "downloading");
  CHECK(seen[4].state == "verifying");
  fleet.set_result("a1P.dev-1", "", 1000, "offer 2.0.0 installed", std::string());
  const ModuleStatus* row = fleet.find("a1P.dev-1", "");
  REQUIRE(row != nullptr);
  CHECK(row->state == DeviceActivity::idle);
  CHECK(row->progress == -1);
  CHECK(row->target_version.empty());
  CHECK(row->last_result == "offer 2.0.0 installed");
}

TEST_CASE("rows follow the registry: kept rows keep their state, new rows appear, removed rows are announced",
          "[unit][status]") {
  boost::asio::io_context io;
  const Registry before(entries({{"dev-1", ""}, {"dev-2", ""}, {"dev-2", "mcu"}}));
  DeviceStateStore state("/nonexistent");
  FleetStatus fleet(io.get_executor());
  fleet.sync(before, state);
  CHECK(fleet.rows().size() == 3);
  fleet.set_activity("a1P.dev-1", "", DeviceActivity::flashing, "2.0.0");
  std::vector<Seen> seen;
  fleet.set_listener([&seen](const StatusEvent& e) {
    seen.push_back({e.kind == StatusEvent::Kind::device_removed ? "removed" : "device", e.row->device_name + "/" +
                    e.row->module, std::string(to_string(e.row->state)), e.row->progress});
  });
  const Registry after(entries({{"dev-3", ""}, {"dev-1", ""}}), &before);
  fleet.sync(after, state);
  REQUIRE(fleet.rows().size() == 2);
  CHECK(fleet.rows()[0].device_name == "dev-3");
  CHECK(fleet.rows()[1].device_name == "dev-1");
  CHECK(fleet.rows()[1].state == DeviceActivity::flashing);
  CHECK(fleet.rows()[1].target_version == "2.0.0");
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].kind == "removed");
  CHECK(seen[1].kind == "removed");
  CHECK(seen[2].kind == "device");
  CHECK(seen[2].device == "dev-3/");
  // The registry kept dev-1's object: pointers to it stay valid.
  CHECK(after.find("a1P", "dev-1") == before.find("a1P", "dev-1"));
  const RegistryDiff changes = diff(before, after);
  CHECK(changes.added.size() == 1);
  CHECK(changes.removed.size() == 1);
  CHECK(changes.updated.empty());
}
