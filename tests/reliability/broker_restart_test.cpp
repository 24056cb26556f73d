// The broker restarted under otagwd (issue 11, Deliver 6): mosquitto killed
// with -9 (or stopped with SIGTERM) and started again on the same port at 10
// points of a pass with firmware jobs, and once between passes of the
// service. Real parts only: mosquitto, otagw-cloudsim, otagwd, the recorder
// plugin, the cloudsim firmware server. Windows are made wide by slowing the
// real parts (a rate-limited image, the recorder's sleep_s, a delayed query
// reply, a plugin that holds the flash's confirmation until the test lets it
// go), never by timing.
//
// Every case proves: the pass completes (exit 0, both jobs installed), every
// sub-device is logged in again after the restart and nothing is published
// for a sub-device the platform holds offline (the simulator records such
// messages as violations), no device is flashed twice, at most one device's
// OTA topics are subscribed at a time and none is left subscribed, the new
// versions are reported on inform, and nothing is left under state_dir/jobs.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/subdev/cloud_fixture.hpp"
#include "tests/subdev/firmware_host.hpp"
#include "tests/subdev/job_report.hpp"
#include "tests/support/wait_until.hpp"

using namespace otagw::sweep_test;
using namespace std::chrono_literals;
using otagw::test_support::wait_until;

namespace {

const std::string kGatedRecorder = std::string(OTAGW_SOURCE_DIR) + "/tests/reliability/plugins/gated-recorder";

// How the broker goes away.
enum class Loss { kill, stop };

// Where in the pass, and what the scenario slows down to get there.
enum class Point {
  topology_add,    // the gateway's topo/add request is at the broker
  login,           // the gateway's batch_login request is at the broker
  subscribed,      // sub-0001's OTA topics are subscribed, before its query
  query_wait,      // sub-0001's query is at the broker, its reply delayed 1.5 s
  download,        // sub-0001's image is half downloaded (rate-limited)
  flash,           // the recorder flashes sub-0001 (sleep_s)
  confirmation,    // otagwd asks sub-0001's plugin `version` after the flash (held)
  before_inform,   // the plugin answered; the broker is still down for the inform
  progress,        // sub-0003's progress reports flow (rate-limited download)
  after_last,      // the service's pass: the last device's OTA topics were unsubscribed
  between_passes,  // the service's first pass is done ("sweep done")
};

const std::vector<std::string> kNames = {"sub-0000", "sub-0001", "sub-0002", "sub-0003"};
const std::vector<std::string> kOffered = {"sub-0001", "sub-0003"};

bool offered(const std::string& name) { return std::find(kOffered.begin(), kOffered.end(), name) != kOffered.end(); }

// The broker's log has a line for a PUBLISH the gateway sent on `topic`.
bool broker_received(CloudFixture& cloud, const std::string& topic) {
  std::istringstream log(cloud.broker().log());
  for (std::string line; std::getline(log, line);) {
    if (line.find("Received PUBLISH from a1GwProd01.gw-0001|") != std::string::npos &&
        line.find("'" + topic + "'") != std::string::npos) {
      return true;
    }
  }
  return false;
}

bool has_event(const CloudFixture& cloud, const std::string& event) {
  const auto events = cloud.ota_subscription_events();
  return std::find(events.begin(), events.end(), event) != events.end();
}

std::uintmax_t size_of(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

struct Rig {
  explicit Rig(Point point, bool service = false) : point(point) {
    otagw::cloudsim::FaultSpec slow_a;
    otagw::cloudsim::FaultSpec slow_b;
    // 200 kB at 100 kB/s: two seconds of download.
    if (point == Point::download) slow_a.rate_bytes_per_s = 100000;
    if (point == Point::progress) slow_b.rate_bytes_per_s = 100000;
    image_a = std::make_unique<FirmwareHost::Image>(host.add("a.bin", 200000, slow_a));
    image_b = std::make_unique<FirmwareHost::Image>(host.add("b.bin", 200000, slow_b));

    std::vector<SimDevice> devices;
    for (const auto& name : kNames) {
      std::string scenario;
      std::string params;
      if (name == "sub-0001") {
        scenario = "modules: {default: {" + firmware_yaml(host, *image_a, "2.0.0") +
                   (point == Point::query_wait ? ", delay_ms: 1500" : "") + "}}";
        if (point == Point::flash) params = "sleep_s: 2";
        if (point == Point::confirmation || point == Point::before_inform) params = "gate: 1";
      } else if (name == "sub-0003") {
        scenario = by_query(firmware_yaml(host, *image_b, "2.0.0"));
      }
      devices.push_back(device(name, target(name), scenario, params));
    }
    CloudOptions options;
    options.ota_extra = std::string("allow_http: true, download_retry_s: 60") + (service ? ", sweep_interval_s: 2" : "");
    // version_timeout_s covers the gate's wait.
    options.plugins_yaml = "{rec: {exec: \"" + kGatedRecorder + "\", timeout_s: 30, version_timeout_s: 60}}";
    cloud = std::make_unique<CloudFixture>(devices, options);
  }

  [[nodiscard]] std::filesystem::path target(const std::string& name) const { return files.path() / name; }

  // Blocks until the pass has reached `point`.
  [[nodiscard]] bool reached() {
    auto& c = *cloud;
    switch (point) {
      case Point::topology_add:
        return wait_until([&c] { return broker_received(c, "/sys/a1GwProd01/gw-0001/thing/topo/add"); }, 20s, 2ms);
      case Point::login:
        return wait_until(
            [&c] { return broker_received(c, "/ext/session/a1GwProd01/gw-0001/combine/batch_login"); }, 20s, 2ms);
      case Point::subscribed:
        return wait_until([&c] { return has_event(c, "+/ota/device/upgrade/a1SubProd1/sub-0001"); }, 20s, 2ms);
      case Point::query_wait:
        return wait_until(
            [&c] { return broker_received(c, "/sys/a1SubProd1/sub-0001/thing/ota/firmware/get"); }, 20s, 5ms);
      case Point::download: {
        const auto staging = cloud->dir() / "state" / "jobs" / "a1SubProd1.sub-0001" / "image" / "image.bin";
        return wait_until([&staging] { return size_of(staging) >= 80000; }, 20s) && size_of(staging) < 200000;
      }
      case Point::flash:
        return wait_until([this] { return std::filesystem::exists(target("sub-0001") / "flashes"); }, 20s);
      case Point::confirmation:
      case Point::before_inform:
        return wait_until([this] { return std::filesystem::exists(target("sub-0001") / "confirming"); }, 30s);
      case Point::progress:
        return wait_until([&c] { return broker_received(c, "/ota/device/progress/a1SubProd1/sub-0003"); }, 30s, 5ms);
      case Point::after_last:
        return wait_until([&c] { return has_event(c, "-/ota/device/upgrade/a1SubProd1/sub-0003"); }, 30s, 2ms);
      case Point::between_passes:
        // The pass is done and so are its jobs (they end after their visits).
        return daemon != nullptr && daemon->wait_for_stderr("sweep done", 40s) &&
               wait_until([this] {
                 const std::string log = daemon->stderr_text();
                 std::size_t ended = 0;
                 for (auto at = log.find(": now at 2.0.0"); at != std::string::npos; at = log.find(": now at 2.0.0", at + 1)) {
                   ++ended;
                 }
                 return ended >= kOffered.size();
               }, 40s);
    }
    return false;
  }

  // The broker goes away and comes back, as the point needs.
  void restart(Loss loss) {
    auto& broker = cloud->broker();
    if (loss == Loss::kill) {
      broker.kill();
    } else {
      broker.stop();
    }
    if (point == Point::before_inform) {
      // Let the plugin answer while the broker is down: otagwd's inform of
      // the new version is what waits for the broker now.
      std::ofstream(target("sub-0001") / "go").put('\n');
      REQUIRE(wait_until([this] { return std::filesystem::exists(target("sub-0001") / "answered"); }, 30s));
      std::this_thread::sleep_for(300ms);  // widens the window; asserts nothing
    }
    broker.start();
    if (point == Point::confirmation) std::ofstream(target("sub-0001") / "go").put('\n');
  }

  Point point;
  otagw::test_support::ChildProcess* daemon = nullptr;
  otagw::test_support::TempDir files{"otagw-rel-broker"};
  FirmwareHost host{files.path()};
  std::unique_ptr<FirmwareHost::Image> image_a;
  std::unique_ptr<FirmwareHost::Image> image_b;
  std::unique_ptr<CloudFixture> cloud;
};

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

bool jobs_dir_empty(const CloudFixture& cloud) {
  std::error_code ec;
  const auto jobs = cloud.dir() / "state" / "jobs";
  if (!std::filesystem::exists(jobs, ec)) return true;
  return std::filesystem::directory_iterator(jobs, ec) == std::filesystem::directory_iterator();
}

// What every case proves once the pass is over and the simulator stopped.
void check_outcome(Rig& rig, const nlohmann::json& report, const std::string& log, int min_logins) {
  INFO(log);
  INFO(report.dump(1));
  CHECK(report.at("violations").empty());
  CHECK(report.at("counters").at("gateway_disconnects").get<int>() >= 1);
  for (const auto& name : kNames) {
    INFO(name);
    const auto& dev = device_in(report, name);
    // Logged in again after the restart (the platform took them offline).
    CHECK(dev.at("logins").get<int>() >= min_logins);
    CHECK(dev.at("queries").size() >= 1);
    if (offered(name)) {
      CHECK(informs_of(dev).back() == "2.0.0");
      CHECK(lines_in(rig.target(name) / "flashes") == 1);  // never a second flash
      CHECK(read(rig.target(name) / "VERSION") == "2.0.0\n");
      const auto steps = steps_of(dev);
      REQUIRE_FALSE(steps.empty());
      for (const auto& step : steps) CHECK(std::stoi(step) >= 0);
    } else {
      CHECK(informs_of(dev).back() == "1.0.0");
      CHECK_FALSE(std::filesystem::exists(rig.target(name) / "flashes"));
    }
  }
  // One loss: a visit under way is abandoned once and resumed, not retried
  // in a loop while the session waits to reconnect.
  CHECK(count_of(log, "visit abandoned") <= 1);
  const auto events = rig.cloud->ota_subscription_events();
  CHECK(std::count(events.begin(), events.end(), "!restart") >= 2);  // the first start and the restart
  CHECK(check_one_channel_at_a_time(events).empty());
  CHECK(jobs_dir_empty(*rig.cloud));
  const auto state = nlohmann::json::parse(read(rig.cloud->dir() / "state" / "devices.json"));
  for (const auto& name : kOffered) {
    CHECK(state["devices"]["a1SubProd1." + name]["installed_versions"][""] == "2.0.0");
  }
}

// One `otagwd --once` pass with the broker lost at `point`.
void restart_during_pass(Point point, Loss loss) {
  Rig rig(point);
  auto& daemon = rig.cloud->start_once();
  REQUIRE(rig.reached());
  // The broker goes away under the running pass.
  REQUIRE_FALSE(daemon.wait(0ms).has_value());
  rig.restart(loss);
  const auto status = daemon.wait(90s);
  const std::string log = daemon.stderr_text();
  INFO(log);
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  CHECK(log.find("2 job(s) installed, 0 job(s) failed") != std::string::npos);
  const auto report = rig.cloud->stop_sim_and_report();
  // Before the first login nothing was online to log in again.
  check_outcome(rig, report, log, point == Point::topology_add ? 1 : 2);
}

// otagwd as the service (ota.sweep_interval_s: 2) with the broker killed
// at `point` of its first pass (or after it): every device is logged in
// again at once, long before the next pass, and the next pass completes
// without a second flash (the platform offers nothing to a device that
// reported the target).
void restart_in_service(Point point) {
  Rig rig(point, /*service=*/true);
  auto& daemon = rig.cloud->start_service();
  rig.daemon = &daemon;
  auto count = [&daemon](const std::string& text) { return count_of(daemon.stderr_text(), text); };
  REQUIRE(rig.reached());
  REQUIRE(count("logged in 4 of 4") == 1);
  rig.restart(Loss::kill);
  // The first login, then the one after the reconnect; then the next pass.
  REQUIRE(wait_until([&] { return count("logged in 4 of 4") >= 2; }, 30s));
  REQUIRE(wait_until([&] { return count("sweep done") >= 2; }, 40s));
  const auto report = rig.cloud->stop_sim_and_report();  // while otagwd still holds the session
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(20s) == 0);
  const std::string log = daemon.stderr_text();
  INFO(log);
  // The first pass's two jobs (they end after their visits).
  CHECK(count_of(log, ": now at 2.0.0") == 2);
  CHECK(count_of(log, "flashing 2.0.0 with plugin") == 2);
  for (const auto& name : kNames) {
    INFO(name);
    CHECK(device_in(report, name).at("online").get<bool>());
    CHECK(device_in(report, name).at("queries").size() >= 2);
  }
  check_outcome(rig, report, log, 2);
}

}  // namespace

TEST_CASE("broker killed during the topology add: the pass completes, every device upgraded once and online",
          "[reliability][broker]") {
  restart_during_pass(Point::topology_add, Loss::kill);
}

TEST_CASE("broker killed during the sub-device login: the pass completes and every device is logged in again",
          "[reliability][broker]") {
  restart_during_pass(Point::login, Loss::kill);
}

TEST_CASE("broker killed while a device's OTA topics are subscribed before its query: no topic left subscribed",
          "[reliability][broker]") {
  restart_during_pass(Point::subscribed, Loss::kill);
}

TEST_CASE("broker killed while the query reply is awaited: the device is queried again and upgraded once",
          "[reliability][broker]") {
  restart_during_pass(Point::query_wait, Loss::kill);
}

TEST_CASE("broker stopped while the query reply is awaited: the device is queried again and upgraded once",
          "[reliability][broker]") {
  restart_during_pass(Point::query_wait, Loss::stop);
}

TEST_CASE("broker killed mid-download: the download goes on, the device is flashed once and reported",
          "[reliability][broker]") {
  restart_during_pass(Point::download, Loss::kill);
}

TEST_CASE("broker stopped mid-download: the download goes on, the device is flashed once and reported",
          "[reliability][broker]") {
  restart_during_pass(Point::download, Loss::stop);
}

TEST_CASE("broker killed mid-flash: the flash completes, is not repeated and the new version is reported",
          "[reliability][broker]") {
  restart_during_pass(Point::flash, Loss::kill);
}

TEST_CASE("broker stopped mid-flash: the flash completes, is not repeated and the new version is reported",
          "[reliability][broker]") {
  restart_during_pass(Point::flash, Loss::stop);
}

TEST_CASE("broker killed during the flash's version confirmation: the new version is reported once online",
          "[reliability][broker]") {
  restart_during_pass(Point::confirmation, Loss::kill);
}

TEST_CASE("broker killed right before the inform of the new version: it is reported after the device is logged in again",
          "[reliability][broker]") {
  restart_during_pass(Point::before_inform, Loss::kill);
}

TEST_CASE("broker killed during the progress reports: the job completes and no report reaches an offline device",
          "[reliability][broker]") {
  restart_during_pass(Point::progress, Loss::kill);
}

TEST_CASE("broker killed after the service pass's last device: all logged in again, the next pass flashes nothing again",
          "[reliability][broker]") {
  restart_in_service(Point::after_last);
}

TEST_CASE("broker killed between service passes with jobs: devices logged in again, the next pass flashes nothing again",
          "[reliability][broker]") {
  restart_in_service(Point::between_passes);
}
