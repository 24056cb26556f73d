#pragma once
// A local cloud for sweep tests: a real mosquitto with the platform sign-in
// check, the real otagw-cloudsim playing the platform from a scenario, and
// otagwd itself as a process, with the config that matches the scenario.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/mosquitto_broker.hpp"
#include "tests/support/temp_dir.hpp"

namespace otagw::sweep_test {

struct SimDevice {
  std::string name;                // device_name; product_key is kSubProduct
  std::string scenario_extra;      // YAML flow-map entries added to the scenario entry, e.g. "login: refuse"
  std::string module;              // config module ("" = default)
  std::string config_extra;        // YAML flow-map entries added to otagwd's entry, e.g. "params: {...}"
  std::string plugin = "copy";     // a key of the fixture's plugins
};

struct CloudOptions {
  std::string ota_extra;      // YAML flow-map entries added to otagwd's `ota:` section
  std::string plugins_yaml = "{copy: {exec: /bin/true}}";
  std::string scenario_extra;  // top-level scenario YAML lines, e.g. "limits: {login_per_s: 2}"
};

inline constexpr const char* kSubProduct = "a1SubProd1";

class CloudFixture {
 public:
  explicit CloudFixture(std::vector<SimDevice> devices, std::string ota_extra = {});
  CloudFixture(std::vector<SimDevice> devices, CloudOptions options);
  ~CloudFixture();

  // Runs `otagwd --once` to its end; returns the exit status.
  int run_once(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Starts `otagwd --once` and returns without waiting.
  test_support::ChildProcess& start_once();
  // Starts otagwd as the service runs it (passes every ota.sweep_interval_s).
  test_support::ChildProcess& start_service();

  // Stops the simulator (SIGTERM) and returns its JSON report.
  nlohmann::json stop_sim_and_report();

  [[nodiscard]] test_support::MosquittoBroker& broker() { return *broker_; }
  [[nodiscard]] std::string daemon_log() const;
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }
  // otagwd's control socket (docs/control.md).
  [[nodiscard]] std::filesystem::path control_socket() const { return dir() / "otagw.sock"; }

  // The broker's view, from its log: OTA topic (un)subscriptions in order,
  // as "+/ota/device/upgrade/pk/dn" and "-/ota/device/upgrade/pk/dn", and
  // "!restart" where the broker (re)started with no subscriptions.
  [[nodiscard]] std::vector<std::string> ota_subscription_events() const;

  void start_sim();
  // kill -9 of a running otagwd (from start_once()).
  void kill_daemon();

 private:
  void write_files(const std::vector<SimDevice>& devices, const CloudOptions& options);

  test_support::TempDir dir_{"otagw-sweep"};
  std::unique_ptr<test_support::MosquittoBroker> broker_;
  std::unique_ptr<test_support::ChildProcess> sim_;
  std::unique_ptr<test_support::ChildProcess> daemon_;
};

// At no point are two devices' OTA topics subscribed; at the end none is.
// Returns a description of the first violation, or empty.
std::string check_one_channel_at_a_time(const std::vector<std::string>& events);

}  // namespace otagw::sweep_test
