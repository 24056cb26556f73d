// The sweep end to end: otagwd --once against a real broker and otagw-cloudsim
// playing the platform; assertions on the broker's and the platform's view.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/subdev/cloud_fixture.hpp"
#include "tests/support/wait_until.hpp"

using namespace otagw::sweep_test;
using namespace std::chrono_literals;

namespace {

std::vector<SimDevice> plain_devices(int count, const std::string& extra = {}) {
  std::vector<SimDevice> devices;
  for (int i = 0; i < count; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "sub-%04d", i);
    SimDevice device;
    device.name = name;
    device.scenario_extra = extra;
    devices.push_back(device);
  }
  return devices;
}

const nlohmann::json& device_in(const nlohmann::json& report, const std::string& name) {
  for (const auto& device : report.at("devices")) {
    if (device.at("device_name") == name) return device;
  }
  throw std::runtime_error("no device " + name + " in the report");
}

}  // namespace

TEST_CASE("a pass adds, logs in, reports and queries every device, one channel at a time", "[integration][sweep]") {
  CloudFixture cloud(plain_devices(60));
  REQUIRE(cloud.run_once() == 0);
  const auto report = cloud.stop_sim_and_report();
  INFO(cloud.daemon_log());
  for (int i = 0; i < 60; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "sub-%04d", i);
    const auto& device = device_in(report, name);
    INFO(name);
    CHECK(device.at("topology") == true);
    CHECK(device.at("logins").get<int>() >= 1);
    REQUIRE(device.at("informs").size() == 1);
    CHECK(device.at("informs")[0].at("version") == "1.0.0");
    CHECK(device.at("queries").size() == 1);
  }
  CHECK(report.at("violations").empty());
  // 60 devices: topology add in batches of <= 30, login in batches of <= 50.
  CHECK(report.at("counters").at("topo_add_requests").get<int>() == 2);
  CHECK(report.at("counters").at("login_requests").get<int>() == 2);

  const auto events = cloud.ota_subscription_events();
  CHECK(std::count_if(events.begin(), events.end(), [](const std::string& e) { return e[0] != '!'; }) == 120);
  CHECK(check_one_channel_at_a_time(events).empty());
  CHECK(cloud.daemon_log().find("pass complete") != std::string::npos);
}

TEST_CASE("topology is remembered: a second run adds nothing", "[integration][sweep]") {
  CloudFixture cloud(plain_devices(5));
  REQUIRE(cloud.run_once() == 0);
  REQUIRE(cloud.run_once() == 0);
  const auto report = cloud.stop_sim_and_report();
  CHECK(report.at("counters").at("topo_add_requests").get<int>() == 1);
  CHECK(report.at("counters").at("login_requests").get<int>() == 2);
  CHECK(device_in(report, "sub-0000").at("queries").size() == 2);
}

TEST_CASE("a device whose login is refused does not keep its batch offline", "[integration][sweep]") {
  auto devices = plain_devices(10);
  devices[3].scenario_extra = "login: refuse";
  CloudFixture cloud(devices);
  REQUIRE(cloud.run_once() == 0);
  const auto report = cloud.stop_sim_and_report();
  for (const auto& device : devices) {
    INFO(device.name);
    const auto& seen = device_in(report, device.name);
    if (device.name == "sub-0003") {
      CHECK(seen.at("queries").empty());
      CHECK(seen.at("online") == false);
    } else {
      CHECK(seen.at("queries").size() == 1);
    }
  }
  CHECK(cloud.daemon_log().find("sub-device a1SubProd1/sub-0003: login refused") != std::string::npos);
}

TEST_CASE("a device the cloud never answers times out and the sweep moves on", "[integration][sweep]") {
  auto devices = plain_devices(4);
  devices[1].scenario_extra = "modules: {default: {query: no_reply}}";
  CloudFixture cloud(devices, "query_timeout_s: 1");
  const auto started = std::chrono::steady_clock::now();
  REQUIRE(cloud.run_once() == 0);
  CHECK(std::chrono::steady_clock::now() - started >= 1s);
  const auto report = cloud.stop_sim_and_report();
  CHECK(device_in(report, "sub-0002").at("queries").size() == 1);
  CHECK(device_in(report, "sub-0003").at("queries").size() == 1);
  CHECK(cloud.daemon_log().find("a1SubProd1/sub-0001: no answer to firmware/get") != std::string::npos);
  CHECK(check_one_channel_at_a_time(cloud.ota_subscription_events()).empty());
}

TEST_CASE("a push during the wait is taken as the device's offer", "[integration][sweep]") {
  auto devices = plain_devices(3);
  devices[1].scenario_extra =
      "modules: {default: {query: push, delay_ms: 100, firmware: {version: \"2.0.0\", size: 1024, "
      "url: \"https://fw.example/a.bin\", signMethod: SHA256, "
      "sign: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}}";
  devices[2].scenario_extra =
      "modules: {default: {firmware: {version: \"3.0.0\", size: 2048, url: \"https://fw.example/b.bin\", "
      "signMethod: Md5, sign: \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}}}";
  // The firmware URLs lead nowhere: each offer becomes a job whose download
  // fails at once (no retry budget) and is reported as step -2; the pass
  // completes with failed jobs: exit 6.
  CloudFixture cloud(devices, "download_retry_s: 0");
  REQUIRE(cloud.run_once() == 6);
  const auto report = cloud.stop_sim_and_report();
  CHECK(device_in(report, "sub-0001").at("pushes").get<int>() == 1);
  const auto log = cloud.daemon_log();
  CHECK(log.find("a1SubProd1/sub-0001: firmware 1.0.0 -> 2.0.0") != std::string::npos);
  CHECK(log.find("a1SubProd1/sub-0002: firmware 1.0.0 -> 3.0.0") != std::string::npos);
  CHECK(log.find("sub-0000: firmware") == std::string::npos);
  for (const char* name : {"sub-0001", "sub-0002"}) {
    INFO(name);
    const auto& progress = device_in(report, name).at("progress");
    REQUIRE(progress.size() == 1);
    CHECK(progress[0].at("step") == "-2");
  }
}

TEST_CASE("more devices than ota.max_online: windows logged in and out", "[integration][sweep]") {
  CloudFixture cloud(plain_devices(7), "max_online: 3");
  REQUIRE(cloud.run_once() == 0);
  const auto report = cloud.stop_sim_and_report();
  for (int i = 0; i < 7; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "sub-%04d", i);
    INFO(name);
    CHECK(device_in(report, name).at("queries").size() == 1);
    CHECK(device_in(report, name).at("online") == false);  // logged out with its window
  }
  CHECK(report.at("counters").at("login_requests").get<int>() == 3);
  CHECK(report.at("counters").at("logout_requests").get<int>() == 3);
}

TEST_CASE("a broker restart mid-pass: the pass resumes and completes", "[integration][sweep]") {
  // Each reply takes 150 ms, so the pass of 12 devices lasts about 2 s.
  CloudFixture cloud(plain_devices(12, "modules: {default: {delay_ms: 150}}"));
  auto& daemon = cloud.start_once();
  REQUIRE(daemon.wait_for_stderr("sub-0003: visiting", 10s));
  cloud.broker().kill();
  std::this_thread::sleep_for(300ms);
  cloud.broker().start();
  const auto status = daemon.wait(60s);
  INFO(daemon.stderr_text());
  REQUIRE(status == 0);
  const auto report = cloud.stop_sim_and_report();
  for (int i = 0; i < 12; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "sub-%04d", i);
    INFO(name);
    CHECK(device_in(report, name).at("queries").size() >= 1);
    // The platform took every sub-device offline with the gateway: the
    // devices visited before the restart are logged in again too.
    CHECK(device_in(report, name).at("logins").get<int>() >= 2);
  }
  CHECK(daemon.stderr_text().find("resuming there after reconnect") != std::string::npos);
  CHECK(check_one_channel_at_a_time(cloud.ota_subscription_events()).empty());
}

TEST_CASE("a broker restart between passes: every sub-device is logged in again at once", "[integration][sweep]") {
  CloudFixture cloud(plain_devices(4), "sweep_interval_s: 3600");
  auto& daemon = cloud.start_service();
  REQUIRE(daemon.wait_for_stderr("sweep done", 20s));
  cloud.broker().kill();
  std::this_thread::sleep_for(300ms);
  cloud.broker().start();
  // The first login, then the one after the reconnect, long before the next pass.
  auto logins = [&daemon] {
    const std::string log = daemon.stderr_text();
    std::size_t count = 0;
    for (auto at = log.find("logged in 4 of 4"); at != std::string::npos; at = log.find("logged in 4 of 4", at + 1)) {
      ++count;
    }
    return count;
  };
  REQUIRE(otagw::test_support::wait_until([&] { return logins() >= 2; }, 20s));
  const auto report = cloud.stop_sim_and_report();  // while otagwd still holds the session
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(10s) == 0);
  INFO(daemon.stderr_text());
  for (int i = 0; i < 4; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "sub-%04d", i);
    INFO(name);
    CHECK(device_in(report, name).at("online").get<bool>());
    CHECK(device_in(report, name).at("logins").get<int>() == 2);
    CHECK(device_in(report, name).at("queries").size() == 1);  // no new pass, only the login
  }
}

TEST_CASE("throttled logins slow the pace instead of failing devices", "[integration][sweep]") {
  CloudOptions options;
  options.scenario_extra = "limits: {login_per_s: 2}";
  CloudFixture cloud(plain_devices(200), options);
  REQUIRE(cloud.run_once() == 0);
  const auto report = cloud.stop_sim_and_report();
  INFO(cloud.daemon_log());
  CHECK(report.at("counters").at("throttled").get<int>() >= 1);
  for (const auto& device : report.at("devices")) {
    INFO(device.at("device_name"));
    CHECK(device.at("queries").size() == 1);
  }
  CHECK(cloud.daemon_log().find("pacing sub-device logins") != std::string::npos);
}

TEST_CASE("mqtt.max_publish_per_s paces the upstream publishes", "[integration][sweep]") {
  // 10 devices: an inform and a query each, 20 publishes at 20/s: about 1 s.
  CloudFixture cloud(plain_devices(10));
  {
    std::ifstream in(cloud.dir() / "gateway.yaml");
    std::stringstream text;
    text << in.rdbuf();
    std::string config = text.str();
    config.replace(config.find("connect_retry_s: 20"), 19, "connect_retry_s: 20, max_publish_per_s: 20");
    std::ofstream(cloud.dir() / "gateway.yaml") << config;
  }
  const auto started = std::chrono::steady_clock::now();
  REQUIRE(cloud.run_once() == 0);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  CHECK(elapsed >= 900ms);
  const auto report = cloud.stop_sim_and_report();
  CHECK(report.at("counters").at("queries").get<int>() == 10);
}
