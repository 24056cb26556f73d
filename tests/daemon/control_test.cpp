// The control socket against a running otagwd (docs/control.md): a real
// mosquitto, otagw-cloudsim as the platform, the cloudsim firmware server,
// the recorder plugin, otagwd as the service runs it.
#include <catch2/catch.hpp>

#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/subdev/cloud_fixture.hpp"
#include "tests/subdev/firmware_host.hpp"
#include "tests/subdev/job_report.hpp"
#include "tests/support/control_client.hpp"
#include "tests/support/wait_until.hpp"

using namespace otagw::sweep_test;
using namespace std::chrono_literals;
using otagw::test_support::ControlClient;
using nlohmann::json;

namespace {

SimDevice dev(std::string name, std::string scenario = {}, std::string module = {}) {
  SimDevice d;
  d.name = std::move(name);
  d.scenario_extra = std::move(scenario);
  d.module = std::move(module);
  return d;
}

json request(ControlClient& client, const std::string& line) {
  REQUIRE(client.send(line));
  for (;;) {
    const auto answer = client.read_line(20s);
    REQUIRE(answer);
    json parsed = json::parse(*answer);
    if (!parsed.contains("event")) return parsed;  // a watcher also gets events
  }
}

std::unique_ptr<ControlClient> connect(CloudFixture& cloud) {
  auto client = ControlClient::wait_for(cloud.control_socket(), 15s);
  REQUIRE(client);
  return client;
}

json status_of(CloudFixture& cloud) {
  auto client = connect(cloud);
  const json answer = request(*client, R"({"v":1,"cmd":"status"})");
  REQUIRE(answer.at("ok") == true);
  return answer.at("status");
}

// (Never on a temporary: the pointer points into `status`.)
const json* row(const json& status, const std::string& device, const std::string& module = "") {
  for (const auto& r : status.at("devices")) {
    if (r.at("device_name") == device && r.at("module") == module) return &r;
  }
  return nullptr;
}

// The device's row as the daemon says now; null when it has none.
json row_now(CloudFixture& cloud, const std::string& device) {
  const json status = status_of(cloud);
  const json* r = row(status, device);
  return r == nullptr ? json() : *r;
}

// Waits for the first pass to end (status polled).
void wait_first_pass(CloudFixture& cloud) {
  REQUIRE(otagw::test_support::wait_until(
      [&cloud] {
        const json status = status_of(cloud);
        return status.at("pass").at("number") >= 1 && status.at("pass").at("running") == false;
      },
      30s));
}

// Reads events until `done(event)` or the time-out; returns every event read.
std::vector<json> events_until(ControlClient& client, const std::function<bool(const json&)>& done,
                               std::chrono::milliseconds within = 30s) {
  std::vector<json> events;
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto line = client.read_line(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    if (!line) break;
    json event = json::parse(*line);
    if (!event.contains("event")) continue;
    events.push_back(event);
    if (done(event)) break;
  }
  return events;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// gateway.yaml without the lines naming `device`.
void drop_device_from_config(CloudFixture& cloud, const std::string& device, const std::string& original) {
  std::istringstream lines(original);
  std::ofstream out(cloud.dir() / "gateway.yaml", std::ios::trunc);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("device_name: " + device + ",") == std::string::npos) out << line << "\n";
  }
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("status lists every device and module, the connection and the pass", "[integration][control]") {
  CloudFixture cloud({dev("sub-0000"), dev("sub-0001", "", "mcu")}, "sweep_interval_s: 3600");
  auto& daemon = cloud.start_service();
  wait_first_pass(cloud);
  const json status = status_of(cloud);
  INFO(status.dump(2));
  CHECK(status.at("connection").at("state") == "connected");
  CHECK(status.at("daemon").at("pid") == daemon.pid());
  CHECK(status.at("pass").at("number") == 1);
  CHECK(status.at("pass").at("devices") == 2);
  CHECK(status.at("pass").at("visited") == 2);
  CHECK(status.at("pass").at("next").is_string());
  REQUIRE(status.at("devices").size() == 2);
  const json* plain = row(status, "sub-0000");
  REQUIRE(plain != nullptr);
  CHECK(plain->at("product_key") == kSubProduct);
  CHECK(plain->at("version") == "1.0.0");
  CHECK(plain->at("state") == "idle");
  CHECK(plain->at("progress").is_null());
  CHECK(plain->at("flash_progress").is_null());
  CHECK(plain->at("target_version").is_null());
  CHECK(plain->at("last_result") == "up_to_date");
  CHECK(plain->at("error").is_null());
  CHECK(std::regex_match(plain->at("last_check").get<std::string>(),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  const json* module = row(status, "sub-0001", "mcu");
  REQUIRE(module != nullptr);
  CHECK(module->at("state") == "idle");
  // The socket is the operator's: mode 0660.
  CHECK((std::filesystem::status(cloud.control_socket()).permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
         std::filesystem::perms::group_read | std::filesystem::perms::group_write));
}

TEST_CASE("watch shows a job's download and flash progress, at most 4 lines a second, and the pass",
          "[integration][control]") {
  otagw::test_support::TempDir files("otagw-fw");
  FirmwareHost host(files.path());
  otagw::cloudsim::FaultSpec slow;
  slow.rate_bytes_per_s = 250000;  // 750 KB: 3 s
  const auto image = host.add("w.bin", 750000, slow);
  CloudFixture cloud({device("sub-0000", files.path() / "dev0", by_query(firmware_yaml(host, image, "2.0.0")),
                             "sleep_s: 2")},
                     recorder_options("allow_http: true, download_retry_s: 0, sweep_interval_s: 3600"));
  // The watcher is there before the pass starts.
  cloud.start_service();
  auto watcher = connect(cloud);
  const json first = request(*watcher, R"({"v":1,"cmd":"watch","id":"w"})");
  REQUIRE(first.at("ok") == true);
  CHECK(first.at("id") == "w");
  CHECK(first.at("status").at("devices").size() == 1);

  // Status from another client while the download runs.
  REQUIRE(otagw::test_support::wait_until(
      [&cloud] {
        const json r = row_now(cloud, "sub-0000");
        return !r.is_null() && r.at("state") == "downloading" && r.at("progress").is_number() &&
               r.at("progress").get<int>() > 0;
      },
      20s, 100ms));
  const json during = row_now(cloud, "sub-0000");
  CHECK(during.at("target_version") == "2.0.0");

  // The pass ends once the channel has handed the offer to its job; the
  // job runs on until its result.
  const auto events = events_until(*watcher, [](const json& e) {
    return e.at("event") == "device" && e.at("device").at("state") == "idle" &&
           e.at("device").at("last_result") == "job installed 2.0.0";
  });
  std::vector<std::string> states;
  std::string pass_summary;
  std::vector<int> download, flash;
  bool pass_started = false;
  for (const auto& e : events) {
    if (e.at("event") == "pass" && e.at("pass").at("running") == true) pass_started = true;
    if (e.at("event") == "pass" && e.at("pass").at("running") == false) pass_summary = e.at("pass").at("last_summary");
    if (e.at("event") != "device") continue;
    const json& d = e.at("device");
    const std::string state = d.at("state");
    if (states.empty() || states.back() != state) states.push_back(state);
    if (state == "downloading" && d.at("progress").is_number()) download.push_back(d.at("progress"));
    if (state == "flashing" && d.at("flash_progress").is_number()) flash.push_back(d.at("flash_progress"));
  }
  INFO(json(events).dump(1));
  CHECK(pass_started == (first.at("status").at("pass").at("number") == 0));
  // The states in order (the visit, the job, back to idle).
  const std::vector<std::string> expected{"downloading", "verifying", "flashing", "confirming", "idle"};
  std::vector<std::string> job_states;
  for (const auto& s : states) {
    if (std::find(expected.begin(), expected.end(), s) != expected.end()) job_states.push_back(s);
  }
  CHECK(job_states == expected);
  REQUIRE(download.size() >= 3);
  CHECK(std::is_sorted(download.begin(), download.end()));
  CHECK(download.back() >= 90);
  // About 3 s of download: never more than 4 progress lines a second (plus the first).
  CHECK(download.size() <= 4 * 4 + 1);
  REQUIRE(flash.size() >= 2);
  CHECK(flash.front() == 0);
  CHECK(std::find(flash.begin(), flash.end(), 10) != flash.end());
  CHECK(flash.back() == 100);
  // The pass may have ended before the watcher connected (it only hands the
  // offer over): its summary is in the status then.
  if (pass_summary.empty()) pass_summary = status_of(cloud).at("pass").at("last_summary");
  CHECK(pass_summary.find("1 job(s) started") != std::string::npos);
  const json after = row_now(cloud, "sub-0000");
  REQUIRE_FALSE(after.is_null());
  CHECK(after.at("version") == "2.0.0");
  CHECK(after.at("state") == "idle");
  CHECK(after.at("last_result") == "job installed 2.0.0");
}

TEST_CASE("sweep starts a pass now and says so during one, and check visits one device next", "[integration][control]") {
  // sub-0002 never answers its query: each pass takes query_timeout_s (2 s).
  CloudFixture cloud({dev("sub-0000"), dev("sub-0001"), dev("sub-0002", "modules: {default: {query: no_reply}}")},
                     "sweep_interval_s: 3600");
  cloud.start_service();
  wait_first_pass(cloud);
  auto client = connect(cloud);
  const json started = request(*client, R"({"v":1,"cmd":"sweep"})");
  INFO(started.dump());
  CHECK(started.at("ok") == true);
  CHECK(started.at("started") == true);
  REQUIRE(otagw::test_support::wait_until([&cloud] { return status_of(cloud).at("pass").at("running") == true; }, 10s,
                                          50ms));
  const json during = request(*client, R"({"v":1,"cmd":"sweep"})");
  CHECK(during.at("ok") == true);
  CHECK(during.at("started") == false);
  CHECK(during.at("pass").at("running") == true);
  CHECK(during.at("pass").at("number") == 2);
  REQUIRE(otagw::test_support::wait_until(
      [&cloud] {
        const json pass = status_of(cloud).at("pass");
        return pass.at("number") == 2 && pass.at("running") == false;
      },
      20s));

  // check, between passes: that device alone, at once; no pass.
  const std::string before = row_now(cloud, "sub-0001").at("last_check").get<std::string>();
  auto watcher = connect(cloud);
  (void)request(*watcher, R"({"v":1,"cmd":"watch"})");
  const json checked = request(*client, R"({"v":1,"cmd":"check","device":"a1SubProd1.sub-0001","id":3})");
  INFO(checked.dump());
  CHECK(checked.at("ok") == true);
  CHECK(checked.at("id") == 3);
  CHECK(checked.at("device") == "a1SubProd1/sub-0001");
  CHECK(checked.at("position") == 1);
  const auto events = events_until(*watcher, [](const json& e) {
    return e.at("event") == "device" && e.at("device").at("device_name") == "sub-0001" &&
           e.at("device").at("state") == "idle";
  });
  std::vector<std::string> states;
  for (const auto& e : events) {
    if (e.at("event") == "pass") FAIL("a check started a pass: " << e.dump());
    if (e.at("event") == "device" && e.at("device").at("device_name") == "sub-0001") {
      states.push_back(e.at("device").at("state"));
    }
  }
  CHECK(states == std::vector<std::string>{"queued", "visiting", "idle"});
  const json status = status_of(cloud);
  CHECK(status.at("pass").at("number") == 2);
  CHECK(row(status, "sub-0001")->at("last_check").get<std::string>() >= before);
  CHECK(cloud.daemon_log().find("sub-device a1SubProd1/sub-0001: check requested") != std::string::npos);

  const json unknown = request(*client, R"({"v":1,"cmd":"check","device":"a1SubProd1/sub-9999"})");
  CHECK(unknown.at("ok") == false);
  CHECK(unknown.at("error").at("code") == "unknown_device");
}

TEST_CASE("bad requests get an error line and the connection goes on, but an endless line closes it",
          "[integration][control]") {
  CloudFixture cloud({dev("sub-0000")}, "sweep_interval_s: 3600");
  auto& daemon = cloud.start_service();
  auto client = connect(cloud);
  for (const auto& [line, code] : std::vector<std::pair<std::string, std::string>>{
           {"hello", "bad_json"},
           {R"({"v":9,"cmd":"status"})", "unsupported_version"},
           {R"({"v":1,"cmd":"format-disk"})", "unknown_command"},
           {R"({"v":1,"cmd":"status","x":1})", "bad_request"},
           {std::string("{\"v\":1,\"cmd\":\"status\",\"id\":\"\xff\xfe\"}"), "bad_json"},  // not UTF-8
           {R"({"v":1,"cmd":"status","id":"\u00e9"})", "ok"},
       }) {
    const json answer = request(*client, line);
    INFO(line << " -> " << answer.dump());
    if (code == "ok") {
      CHECK(answer.at("ok") == true);
    } else {
      CHECK(answer.at("ok") == false);
      CHECK(answer.at("error").at("code") == code);
    }
  }
  // More than 4096 bytes without a newline: an error line, then the end.
  REQUIRE(client->send(std::string(10000, 'x')));
  const auto error = client->read_line();
  REQUIRE(error);
  CHECK(json::parse(*error).at("error").at("code") == "line_too_long");
  CHECK(client->closed_by_peer());
  CHECK_FALSE(daemon.wait(100ms));  // still running
  CHECK(status_of(cloud).at("devices").size() == 1);
}

TEST_CASE("a client that does not read is dropped and the daemon serves the others", "[integration][control]") {
  CloudFixture cloud({dev("sub-0000"), dev("sub-0001"), dev("sub-0002")}, "sweep_interval_s: 3600");
  auto& daemon = cloud.start_service();
  auto stuck = connect(cloud);
  // Status answers pile up: past the socket buffers and 256 KiB queued, it goes.
  bool refused = false;
  for (int i = 0; i < 20000 && !refused; ++i) refused = !stuck->send(R"({"v":1,"cmd":"status"})");
  INFO(cloud.daemon_log());
  CHECK((refused || stuck->closed_by_peer(20s)));
  CHECK(otagw::test_support::wait_until(
      [&cloud] { return cloud.daemon_log().find("does not read its answers") != std::string::npos; }, 10s));
  CHECK_FALSE(daemon.wait(100ms));
  CHECK(status_of(cloud).at("devices").size() == 3);
}

TEST_CASE("100 clients: control.max_clients are served, the others refused, and later ones served again",
          "[integration][control]") {
  CloudFixture cloud({dev("sub-0000")}, "sweep_interval_s: 3600");
  cloud.start_service();
  (void)connect(cloud);
  std::vector<std::unique_ptr<ControlClient>> clients;
  for (int i = 0; i < 100; ++i) clients.push_back(std::make_unique<ControlClient>(cloud.control_socket()));
  int served = 0;
  int refused = 0;
  for (auto& client : clients) {
    (void)client->send(R"({"v":1,"cmd":"status"})");
    const auto line = client->read_line(20s);
    REQUIRE(line);
    const json answer = json::parse(*line);
    if (answer.at("ok") == true) ++served;
    if (answer.at("ok") == false && answer.at("error").at("code") == "too_many_clients") ++refused;
  }
  CHECK(served == 32);
  CHECK(refused == 68);
  clients.clear();
  // Once they are gone, a new one is served.
  CHECK(otagw::test_support::wait_until(
      [&cloud] {
        ControlClient client(cloud.control_socket());
        (void)client.send(R"({"v":1,"cmd":"status"})");
        const auto line = client.read_line(5s);
        return line && json::parse(*line).at("ok") == true;
      },
      10s));
}

TEST_CASE("reload adds and removes sub-devices without a reconnect, and a refused reload keeps the running config",
          "[integration][control]") {
  CloudFixture cloud({dev("sub-0000"), dev("sub-0001"), dev("sub-0002")}, "sweep_interval_s: 3600");
  const std::string full = read_file(cloud.dir() / "gateway.yaml");
  drop_device_from_config(cloud, "sub-0002", full);
  auto& daemon = cloud.start_service();
  wait_first_pass(cloud);
  auto watcher = connect(cloud);
  (void)request(*watcher, R"({"v":1,"cmd":"watch"})");

  // sub-0001 goes, sub-0002 comes.
  {
    std::istringstream lines(full);
    std::ofstream out(cloud.dir() / "gateway.yaml", std::ios::trunc);
    for (std::string line; std::getline(lines, line);) {
      if (line.find("device_name: sub-0001,") == std::string::npos) out << line << "\n";
    }
  }
  auto client = connect(cloud);
  REQUIRE(client->send(R"({"v":1,"cmd":"reload"})"));
  const auto reload_line = client->read_line(20s);
  INFO(cloud.daemon_log());
  REQUIRE(reload_line);
  const json reloaded = json::parse(*reload_line);
  INFO(reloaded.dump());
  REQUIRE(reloaded.at("ok") == true);
  CHECK(reloaded.at("added") == json::array({"a1SubProd1/sub-0002"}));
  CHECK(reloaded.at("removed") == json::array({"a1SubProd1/sub-0001"}));
  CHECK(reloaded.at("updated") == json::array());
  CHECK(reloaded.at("changed") == json::array({"subdevices"}));
  CHECK(reloaded.at("reconnect") == false);
  const auto events = events_until(*watcher, [](const json& e) { return e.at("event") == "reload"; });
  bool removed = false;
  bool added = false;
  for (const auto& e : events) {
    if (e.at("event") == "device_removed" && e.at("device_name") == "sub-0001") removed = true;
    if (e.at("event") == "device" && e.at("device").at("device_name") == "sub-0002") added = true;
  }
  CHECK(removed);
  CHECK(added);
  REQUIRE(otagw::test_support::wait_until(
      [&cloud] { return cloud.daemon_log().find("logged in 1 of 1 added sub-device(s)") != std::string::npos; }, 10s));
  const json status = status_of(cloud);
  CHECK(row(status, "sub-0001") == nullptr);
  REQUIRE(row(status, "sub-0002") != nullptr);
  // The new device is visited on request.
  (void)request(*client, R"({"v":1,"cmd":"check","device":"a1SubProd1/sub-0002"})");
  REQUIRE(otagw::test_support::wait_until(
      [&cloud] { return row_now(cloud, "sub-0002").at("last_result") == "up_to_date"; }, 15s));

  // A config with an error: refused whole, every error returned, nothing changes.
  {
    std::ofstream out(cloud.dir() / "gateway.yaml", std::ios::app);
    out << "  - {product_key: a1SubProd1, device_name: x, device_secret: s, version: \"1\", plugin: nope}\n";
  }
  const json refused = request(*client, R"({"v":1,"cmd":"reload"})");
  INFO(refused.dump());
  CHECK(refused.at("ok") == false);
  CHECK(refused.at("error").at("code") == "reload_refused");
  REQUIRE(refused.at("error").at("errors").size() >= 2);
  for (const auto& line : refused.at("error").at("errors")) {
    CHECK(line.get<std::string>().find("(line 10)") != std::string::npos);
  }
  CHECK(status_of(cloud).at("devices").size() == 2);
  CHECK(cloud.daemon_log().find("reload refused") != std::string::npos);

  // SIGHUP reloads the same way (here: the good file again, with sub-0001 back).
  {
    std::ofstream out(cloud.dir() / "gateway.yaml", std::ios::trunc);
    out << full;
  }
  daemon.signal(SIGHUP);
  // (The refused reload's event comes first.)
  const auto after_hup =
      events_until(*watcher, [](const json& e) { return e.at("event") == "reload" && e.at("ok") == true; });
  REQUIRE_FALSE(after_hup.empty());
  CHECK(after_hup.back().at("added") == json::array({"a1SubProd1/sub-0001"}));
  CHECK(status_of(cloud).at("devices").size() == 3);
  CHECK_FALSE(daemon.wait(100ms));
  // One MQTT connection through all of it.
  CHECK(count(cloud.daemon_log(), "MQTT: connected to") == 1);
  const auto report = cloud.stop_sim_and_report();
  CHECK(device_in(report, "sub-0002").at("online") == true);
  // Logged out, not deleted: ota.delete_removed_topology is false by default.
  CHECK(report.at("counters").at("logout_requests").get<int>() >= 1);
  CHECK(report.at("counters").at("topo_delete_requests") == 0);
}

TEST_CASE("with ota.delete_removed_topology a reload deletes a removed device's topology", "[integration][control]") {
  CloudFixture cloud({dev("sub-0000"), dev("sub-0001")}, "sweep_interval_s: 3600, delete_removed_topology: true");
  const std::string full = read_file(cloud.dir() / "gateway.yaml");
  cloud.start_service();
  wait_first_pass(cloud);
  drop_device_from_config(cloud, "sub-0001", full);
  auto client = connect(cloud);
  const json reloaded = request(*client, R"({"v":1,"cmd":"reload"})");
  INFO(reloaded.dump());
  CHECK(reloaded.at("removed") == json::array({"a1SubProd1/sub-0001"}));
  REQUIRE(otagw::test_support::wait_until(
      [&cloud] {
        return cloud.daemon_log().find("topology of 1 removed sub-device(s) deleted") != std::string::npos;
      },
      10s));
  const auto report = cloud.stop_sim_and_report();
  INFO(cloud.daemon_log());
  CHECK(report.at("counters").at("topo_delete_requests") == 1);
  CHECK(device_in(report, "sub-0001").at("online") == false);
  CHECK(device_in(report, "sub-0000").at("online") == true);
}

TEST_CASE("a reload that changes the mqtt section reconnects with it", "[integration][control]") {
  CloudFixture cloud({dev("sub-0000")}, "sweep_interval_s: 3600");
  cloud.start_service();
  wait_first_pass(cloud);
  std::string config = read_file(cloud.dir() / "gateway.yaml");
  const auto at = config.find("connect_retry_s: 20");
  REQUIRE(at != std::string::npos);
  config.replace(at, std::string("connect_retry_s: 20").size(), "connect_retry_s: 20, keepalive_s: 90");
  {
    std::ofstream out(cloud.dir() / "gateway.yaml", std::ios::trunc);
    out << config;
  }
  auto client = connect(cloud);
  const json reloaded = request(*client, R"({"v":1,"cmd":"reload"})");
  INFO(reloaded.dump());
  CHECK(reloaded.at("ok") == true);
  CHECK(reloaded.at("reconnect") == true);
  CHECK(reloaded.at("changed") == json::array({"mqtt"}));
  CHECK(otagw::test_support::wait_until(
      [&cloud] { return count(cloud.daemon_log(), "MQTT: connected to") == 2; }, 15s));
  // The sub-devices are logged in again on the new connection.
  CHECK(otagw::test_support::wait_until(
      [&cloud] { return count(cloud.daemon_log(), "logged in 1 of 1 sub-device(s)") >= 2; }, 15s));
}

TEST_CASE("a peer that is not root, the service user or in control.group is refused, whatever the file's mode",
          "[integration][control]") {
  if (::geteuid() != 0) {
    WARN("skipped: connecting as another user needs root");
    return;
  }
  CloudFixture cloud({dev("sub-0000")}, "sweep_interval_s: 3600");
  cloud.start_service();
  (void)connect(cloud);
  ::chmod(cloud.control_socket().c_str(), 0666);  // the socket's mode is not what keeps them out
  int out[2];
  REQUIRE(::pipe(out) == 0);
  // Built before the fork: the child of a threaded process may not allocate.
  const std::string socket_path = cloud.control_socket().string();
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // As nobody, with no groups: only system calls from here.
    ::close(out[0]);
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_path.c_str(), sizeof(address.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) ::_exit(3);
    const char request[] = "{\"v\":1,\"cmd\":\"status\"}\n";
    (void)!::write(fd, request, sizeof request - 1);
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0) (void)!::write(out[1], buffer, static_cast<std::size_t>(n));
    ::_exit(0);
  }
  ::close(out[1]);
  std::string answer;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(out[0], buffer, sizeof buffer)) > 0) answer.append(buffer, static_cast<std::size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  INFO(answer);
  REQUIRE(answer.find('\n') != std::string::npos);
  const json refused = json::parse(answer.substr(0, answer.find('\n')));
  CHECK(refused.at("ok") == false);
  CHECK(refused.at("error").at("code") == "not_permitted");
  CHECK(answer.find("\"devices\"") == std::string::npos);  // nothing else came
  CHECK(cloud.daemon_log().find("uid 65534") != std::string::npos);
}
