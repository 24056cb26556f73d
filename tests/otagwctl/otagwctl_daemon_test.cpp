// otagwctl against a running otagwd (issue 13): a real mosquitto, otagw-cloudsim
// as the platform, the cloudsim firmware server, otagwd as the service runs
// it (tests/subdev/cloud_fixture.hpp). What an operator types and sees:
// status during a download and a flash, sweep, check, reload, and the watch
// view under a pseudo-terminal.
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/otagwctl/otagwctl_run.hpp"
#include "tests/otagwctl/pty_process.hpp"
#include "tests/subdev/cloud_fixture.hpp"
#include "tests/subdev/firmware_host.hpp"
#include "tests/subdev/job_report.hpp"
#include "tests/support/control_client.hpp"
#include "tests/support/wait_until.hpp"

namespace {

using namespace otagw::sweep_test;
using namespace otagw::ctl_test;
using namespace std::chrono_literals;
using nlohmann::json;
using otagw::test_support::wait_until;

const std::string kSimMcu = std::string(OTAGW_SOURCE_DIR) + "/subdev/plugins/sim-mcu";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

SimDevice sim_device(std::string name, std::string scenario = {}) {
  SimDevice device;
  device.name = std::move(name);
  device.scenario_extra = std::move(scenario);
  return device;
}

std::vector<std::string> with_socket(const CloudFixture& cloud, std::vector<std::string> args) {
  args.insert(args.begin(), {"--socket", cloud.control_socket().string()});
  return args;
}

Outcome otagwctl(const CloudFixture& cloud, std::vector<std::string> args) {
  return run_otagwctl(with_socket(cloud, std::move(args)), cloud.dir());
}

// Waits until the daemon answers on its socket.
void wait_for_socket(const CloudFixture& cloud) {
  REQUIRE(otagw::test_support::ControlClient::wait_for(cloud.control_socket(), 20s));
}

json status_json(const CloudFixture& cloud) {
  const Outcome outcome = otagwctl(cloud, {"status", "--json"});
  INFO(outcome.err);
  REQUIRE(outcome.code == 0);
  return json::parse(outcome.out);
}

json row_of(const json& status, const std::string& device) {
  for (const auto& row : status.at("devices")) {
    if (row.at("device_name") == device) return row;
  }
  return nullptr;
}

// Polls `status --json` until `done(status)`.
bool wait_for_status(const CloudFixture& cloud, const std::function<bool(const json&)>& done,
                     std::chrono::milliseconds within = 60s) {
  return wait_until([&] { return done(status_json(cloud)); }, within, 100ms);
}

bool first_pass_done(const json& status) {
  return status.at("pass").at("number") >= 1 && status.at("pass").at("running") == false;
}

// One device whose 1 MB image downloads in about 4 s and whose plugin
// (sim-mcu) flashes in 5 s, ten steps of progress: time to look at both.
struct SlowJob {
  otagw::test_support::TempDir files{"otagwctl-fw"};
  FirmwareHost host{files.path()};
  std::unique_ptr<CloudFixture> cloud;

  explicit SlowJob(int flash_ms = 5000) {
    otagw::cloudsim::FaultSpec slow;
    slow.rate_bytes_per_s = 250000;
    const auto image = host.add("slow.bin", 1000000, slow);
    SimDevice device = sim_device("sub-0000", by_query(firmware_yaml(host, image, "2.0.0")));
    device.plugin = "sim";
    device.config_extra = "params: {target_dir: \"" + (files.path() / "mcu").string() +
                          "\", flash_ms: " + std::to_string(flash_ms) + "}";
    CloudOptions options;
    options.ota_extra = "allow_http: true, download_retry_s: 0, sweep_interval_s: 3600";
    options.plugins_yaml = "{sim: {exec: \"" + kSimMcu + "\", timeout_s: 60, version_timeout_s: 10}}";
    cloud = std::make_unique<CloudFixture>(std::vector<SimDevice>{device}, options);
  }
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// `config` without the lines naming `device`.
void write_config_without(const std::filesystem::path& file, const std::string& config, const std::string& device) {
  std::istringstream lines(config);
  std::ofstream out(file, std::ios::trunc);
  for (std::string line; std::getline(lines, line);) {
    if (!contains(line, "device_name: " + device + ",")) out << line << "\n";
  }
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("otagwctl status while a download and then a flash run, --json for scripts", "[integration][control]") {
  SlowJob job;
  CloudFixture& cloud = *job.cloud;
  cloud.start_service();
  wait_for_socket(cloud);
  INFO(cloud.daemon_log());

  // During the download: the table's row says so, with the percentage and the target.
  REQUIRE(wait_for_status(cloud, [](const json& status) {
    const json row = row_of(status, "sub-0000");
    return row.at("state") == "downloading" && row.at("progress").is_number() && row.at("progress") > 0 &&
           row.at("progress") < 60;
  }));
  Outcome table = otagwctl(cloud, {"status"});
  INFO(table.out);
  CHECK(table.code == 0);
  CHECK(std::regex_search(table.out, std::regex("\na1SubProd1/sub-0000 +1\\.0\\.0 +downloading +[1-9][0-9]?% -> 2\\.0\\.0 ")));
  CHECK(std::regex_search(table.out, std::regex("^otagwd [^\n]*: connected to 127\\.0\\.0\\.1:[0-9]+ since ")));
  // The pass has handed the offer to its job and may be over already.
  CHECK(contains(table.out, "\npass 1 "));

  // During the flash: the plugin's progress.
  REQUIRE(wait_for_status(cloud, [](const json& status) {
    const json row = row_of(status, "sub-0000");
    return row.at("state") == "flashing" && row.at("flash_progress").is_number() && row.at("flash_progress") >= 10 &&
           row.at("flash_progress") <= 60;
  }));
  table = otagwctl(cloud, {"status"});
  CHECK(table.code == 0);
  CHECK(std::regex_search(table.out, std::regex("\na1SubProd1/sub-0000 +1\\.0\\.0 +flashing +[1-9]0% -> 2\\.0\\.0 ")));

  // Done: --json has every field of docs/control.md.
  REQUIRE(wait_for_status(cloud, [](const json& status) {
    return first_pass_done(status) && row_of(status, "sub-0000").at("version") == "2.0.0" &&
           row_of(status, "sub-0000").at("state") == "idle";
  }));
  const json status = status_json(cloud);
  for (const char* key : {"daemon", "connection", "pass", "devices"}) CHECK(status.contains(key));
  const json row = row_of(status, "sub-0000");
  for (const char* key : {"product_key", "device_name", "module", "version", "state", "progress", "flash_progress",
                          "target_version", "waiting_for", "last_check", "last_result", "error"}) {
    CHECK(row.contains(key));
  }
  CHECK(row.at("state") == "idle");
  CHECK(row.at("last_result") == "job installed 2.0.0");
  table = otagwctl(cloud, {"status"});
  INFO(table.out);
  CHECK(std::regex_search(table.out, std::regex("\na1SubProd1/sub-0000 +2\\.0\\.0 +idle +- +[0-9:]{8} +job installed 2\\.0\\.0\n")));
}

TEST_CASE("otagwctl sweep starts a pass or says one runs, check visits one device next, an unknown one exits 1",
          "[integration][control]") {
  // sub-0002 never answers its query: a pass takes query_timeout_s (2 s).
  CloudFixture cloud({sim_device("sub-0000"), sim_device("sub-0001"),
                      sim_device("sub-0002", "modules: {default: {query: no_reply}}")},
                     "sweep_interval_s: 3600");
  cloud.start_service();
  wait_for_socket(cloud);
  REQUIRE(wait_for_status(cloud, first_pass_done));
  INFO(cloud.daemon_log());

  Outcome outcome = otagwctl(cloud, {"sweep"});
  CHECK(outcome.code == 0);
  CHECK(outcome.out == "a pass starts now\n");
  REQUIRE(wait_for_status(cloud, [](const json& status) { return status.at("pass").at("running") == true; }, 10s));
  outcome = otagwctl(cloud, {"sweep"});
  CHECK(outcome.code == 0);
  CHECK(outcome.out == "pass 2 is running already; it goes on\n");
  REQUIRE(wait_for_status(cloud, [](const json& status) {
    return status.at("pass").at("number") == 2 && status.at("pass").at("running") == false;
  }));

  const std::string before = row_of(status_json(cloud), "sub-0001").at("last_check");
  outcome = otagwctl(cloud, {"check", "a1SubProd1.sub-0001"});
  CHECK(outcome.code == 0);
  CHECK(outcome.out == "a1SubProd1/sub-0001 is visited next\n");
  REQUIRE(wait_until([&] { return contains(cloud.daemon_log(), "sub-device a1SubProd1/sub-0001: check requested"); },
                     10s));
  REQUIRE(wait_for_status(cloud, [&](const json& status) {
    const json row = row_of(status, "sub-0001");
    return row.at("state") == "idle" && row.at("last_check").get<std::string>() >= before;
  }));
  CHECK(status_json(cloud).at("pass").at("number") == 2);  // a check is no pass

  outcome = otagwctl(cloud, {"check", "a1SubProd1/sub-9999"});
  CHECK(outcome.code == 1);
  CHECK(outcome.out.empty());
  CHECK(contains(outcome.err, "no sub-device a1SubProd1/sub-9999 in the configuration (unknown_device)"));
}

TEST_CASE("otagwctl reload adds and removes a sub-device without a reconnect, a refused one exits 1 with its errors",
          "[integration][control]") {
  CloudFixture cloud({sim_device("sub-0000"), sim_device("sub-0001"), sim_device("sub-0002")},
                     "sweep_interval_s: 3600");
  const auto config = cloud.dir() / "gateway.yaml";
  const std::string full = read_file(config);
  write_config_without(config, full, "sub-0002");
  cloud.start_service();
  wait_for_socket(cloud);
  REQUIRE(wait_for_status(cloud, first_pass_done));
  INFO(cloud.daemon_log());

  // sub-0001 goes, sub-0002 comes; otagwctl finds the socket through the config, as the unit's ExecReload does.
  write_config_without(config, full, "sub-0001");
  Outcome outcome = run_otagwctl({"--config", config.string(), "reload"}, cloud.dir());
  INFO(outcome.err);
  CHECK(outcome.code == 0);
  CHECK(outcome.out == "reloaded: changed subdevices\nadded: a1SubProd1/sub-0002\nremoved: a1SubProd1/sub-0001\n");
  REQUIRE(wait_until([&] { return contains(cloud.daemon_log(), "logged in 1 of 1 added sub-device(s)"); }, 20s));
  json status = status_json(cloud);
  CHECK(row_of(status, "sub-0001").is_null());
  CHECK_FALSE(row_of(status, "sub-0002").is_null());
  outcome = otagwctl(cloud, {"check", "a1SubProd1/sub-0002"});
  CHECK(outcome.code == 0);
  REQUIRE(wait_for_status(cloud, [](const json& s) { return row_of(s, "sub-0002").at("last_result") == "up_to_date"; }));

  // A config with errors: refused whole, each error on a line of stderr, nothing changes.
  {
    std::ofstream out(config, std::ios::app);
    out << "  - {product_key: a1SubProd1, device_name: x, device_secret: s, version: \"1\", plugin: nope}\n";
  }
  outcome = run_otagwctl({"--config", config.string(), "reload"}, cloud.dir());
  CHECK(outcome.code == 1);
  CHECK(outcome.out.empty());
  std::istringstream lines(outcome.err);
  std::string line;
  REQUIRE(std::getline(lines, line));
  CHECK(line == "otagwctl: otagwd refused the new configuration and keeps the old one:");
  std::vector<std::string> errors;
  for (; std::getline(lines, line);) errors.push_back(line);
  CHECK(std::count(errors.begin(), errors.end(), "subdevices[2].plugin: unknown plugin 'nope' (line 10)") == 1);
  for (const auto& error : errors) CHECK(std::regex_search(error, std::regex("^subdevices\\[2\\][^ ]*: .* \\(line 10\\)$")));
  CHECK(status_json(cloud).at("devices").size() == 2);

  // One MQTT connection through all of it.
  CHECK(count(cloud.daemon_log(), "MQTT: connected to") == 1);
  const auto report = cloud.stop_sim_and_report();
  CHECK(device_in(report, "sub-0002").at("online") == true);
}

TEST_CASE("otagwctl status --watch on a terminal: progress bars for the download and the flash, redrawn in place",
          "[integration][control]") {
  SlowJob job;
  CloudFixture& cloud = *job.cloud;
  cloud.start_service();
  wait_for_socket(cloud);
  INFO(cloud.daemon_log());
  PtyProcess watch({OTAGWCTL_PATH, "--socket", cloud.control_socket().string(), "status", "--watch"}, 100, 30);

  auto screen_has = [&watch](const std::string& pattern) {
    return watch.wait_for([&](const TerminalScreen& screen) {
      return std::regex_search(screen.text(), std::regex(pattern));
    }, 60s);
  };
  // A bar under way: some filled, some not.
  CHECK(screen_has("a1SubProd1/sub-0000  download \\[#+-+\\] +[1-9][0-9]?%  1\\.0\\.0 -> 2\\.0\\.0"));
  CHECK(screen_has("a1SubProd1/sub-0000  flash    \\[#+-+\\] +[1-9]0%  1\\.0\\.0 -> 2\\.0\\.0"));
  // Done: the row in the table below, the pass ended.
  CHECK(screen_has("\na1SubProd1/sub-0000 +2\\.0\\.0 +idle +[0-9:]{8} +job installed 2\\.0\\.0\n"));
  CHECK(screen_has("\npass 1 ended [^\n]*: 1 visited"));

  const TerminalScreen& screen = watch.screen();
  INFO(screen.text());
  CHECK(screen.scrolled().empty());
  CHECK(screen.unknown_sequences().empty());
  CHECK(screen.text().find("sub-0000  download") == std::string::npos);  // the bar is gone with the job
  watch.type("\x03");
  CHECK(watch.wait_exit(20s) == 0);
}

TEST_CASE("otagwctl status --watch into a log: a line per step, exit 3 when otagwd stops", "[integration][control]") {
  SlowJob job(2000);
  CloudFixture& cloud = *job.cloud;
  auto& daemon = cloud.start_service();
  wait_for_socket(cloud);
  INFO(cloud.daemon_log());
  auto watch = start_otagwctl(with_socket(cloud, {"status", "--watch"}), cloud.dir());
  REQUIRE(watch->wait_for_stdout("a1SubProd1/sub-0000: idle at 2.0.0, last result job installed 2.0.0", 60s));
  REQUIRE(watch->wait_for_stdout("pass 1 ended", 20s));
  daemon.signal(SIGTERM);
  const Outcome outcome = finish(*watch);
  INFO(outcome.out);
  CHECK(outcome.code == 3);
  CHECK(contains(outcome.err, "otagwd closed the watch connection"));
  CHECK(outcome.out.find('\x1b') == std::string::npos);
  CHECK(std::regex_search(outcome.out, std::regex("\n[0-9-]{10} [0-9:]{8} a1SubProd1/sub-0000: downloading 2\\.0\\.0: [1-9]0%\n")));
  CHECK(std::regex_search(outcome.out, std::regex("\n[0-9-]{10} [0-9:]{8} a1SubProd1/sub-0000: flashing 2\\.0\\.0: [1-9]0%\n")));
  CHECK(contains(outcome.out, " a1SubProd1/sub-0000: confirming 2.0.0\n"));
}
