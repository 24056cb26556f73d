// Campaigns at bus speed end to end (issue 14): otagwd as a process, the real
// mosquitto and otagw-cloudsim, the cloudsim firmware server, the recorder
// plugin as real processes. Jobs run on their own while the OTA channel goes
// on; on a bus one plugin call at a time, buses side by side.
//
// Whether calls overlapped is seen from the device side: every device's
// recorder appends "<device> <flash|version> start|end <epoch ns>" to one
// shared calls log (the recorder's calls_log param). The platform's view
// (queries, progress, informs, with their times) is the simulator's report;
// the channel's is the broker's log of the OTA topic subscriptions.
#include <catch2/catch.hpp>

#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/subdev/cloud_fixture.hpp"
#include "tests/subdev/firmware_host.hpp"
#include "tests/subdev/job_report.hpp"
#include "tests/support/control_client.hpp"
#include "tests/support/wait_until.hpp"

using namespace otagw::sweep_test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using otagw::test_support::wait_until;

namespace {

const std::string kTarget = "2.0.0";

// ---- the device side: the recorder's calls log ------------------------------------------------

struct Call {
  std::string device;
  std::string kind;  // flash | version
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;

  [[nodiscard]] bool overlaps(const Call& other) const { return start_ns < other.end_ns && other.start_ns < end_ns; }
  [[nodiscard]] std::string text() const {
    return device + " " + kind + " [" + std::to_string(start_ns) + ", " + std::to_string(end_ns) + "]";
  }
};

// Every call in the log, each start paired with its device's next end (a
// device's calls never overlap one another: they share its bus). A call
// without an end (none in these tests) is open to the end of time.
std::vector<Call> calls_in(const fs::path& log) {
  std::vector<Call> calls;
  std::map<std::string, std::size_t> open;  // device + kind -> index in calls
  std::istringstream in(read(log));
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string device, kind, edge;
    std::int64_t ns = 0;
    fields >> device >> kind >> edge >> ns;
    if (!fields) continue;
    if (edge == "start") {
      open[device + " " + kind] = calls.size();
      calls.push_back({device, kind, ns, INT64_MAX});
    } else if (const auto it = open.find(device + " " + kind); it != open.end()) {
      calls[it->second].end_ns = ns;
      open.erase(it);
    }
  }
  return calls;
}

std::vector<Call> of_kind(const std::vector<Call>& calls, const std::string& kind) {
  std::vector<Call> out;
  std::copy_if(calls.begin(), calls.end(), std::back_inserter(out), [&kind](const Call& c) { return c.kind == kind; });
  return out;
}

const Call& only_call(const std::vector<Call>& calls, const std::string& device, const std::string& kind) {
  const auto it = std::find_if(calls.begin(), calls.end(),
                               [&](const Call& c) { return c.device == device && c.kind == kind; });
  REQUIRE(it != calls.end());
  REQUIRE(std::count_if(calls.begin(), calls.end(),
                        [&](const Call& c) { return c.device == device && c.kind == kind; }) == 1);
  return *it;
}

// The first pair of calls of devices on one bus that overlap ("" if none).
std::string overlap_on_a_bus(const std::vector<Call>& calls, const std::map<std::string, std::string>& bus_of) {
  for (std::size_t i = 0; i < calls.size(); ++i) {
    for (std::size_t j = i + 1; j < calls.size(); ++j) {
      if (bus_of.at(calls[i].device) == bus_of.at(calls[j].device) && calls[i].overlaps(calls[j])) {
        return calls[i].text() + " overlaps " + calls[j].text() + " on bus " + bus_of.at(calls[i].device);
      }
    }
  }
  return {};
}

// Whether two flashes on different buses ran at the same time.
bool flashes_overlap_across_buses(const std::vector<Call>& calls, const std::map<std::string, std::string>& bus_of) {
  const auto flashes = of_kind(calls, "flash");
  for (std::size_t i = 0; i < flashes.size(); ++i) {
    for (std::size_t j = i + 1; j < flashes.size(); ++j) {
      if (bus_of.at(flashes[i].device) != bus_of.at(flashes[j].device) && flashes[i].overlaps(flashes[j])) return true;
    }
  }
  return false;
}

std::string dump(const std::vector<Call>& calls) {
  std::string text;
  for (const Call& call : calls) text += call.text() + "\n";
  return text;
}

// ---- the rig ----------------------------------------------------------------------------------

// A recorder device writing to `calls_log`, on `bus` ("" = none given: the
// bus `default`).
SimDevice rec_device(const std::string& name, const fs::path& target, const std::string& scenario,
                     const std::string& bus, const fs::path& calls_log, const std::string& params_extra = {}) {
  SimDevice d = device(name, target, scenario,
                       "calls_log: \"" + calls_log.string() + "\"" + (params_extra.empty() ? "" : ", " + params_extra));
  if (!bus.empty()) d.config_extra += ", bus: " + bus;
  return d;
}

std::string name_of(int i) {
  char name[16];
  std::snprintf(name, sizeof name, "sub-%04d", i);
  return name;
}

std::string key_of(const std::string& name) { return std::string(kSubProduct) + "." + name; }

// The last version the device reported on inform ("" for none).
std::string last_inform(const nlohmann::json& device) {
  const auto informs = informs_of(device);
  return informs.empty() ? std::string() : informs.back();
}

// The t_ms of the device's first inform of `version`, or nullopt.
std::optional<std::int64_t> inform_time(const nlohmann::json& device, const std::string& version) {
  for (const auto& inform : device.at("informs")) {
    if (inform.at("version") == version) return inform.at("t_ms").get<std::int64_t>();
  }
  return std::nullopt;
}

// The devices whose OTA topic was subscribed, in the broker's order.
std::vector<std::string> visit_order(const std::vector<std::string>& events) {
  std::vector<std::string> order;
  for (const std::string& event : events) {
    if (event[0] != '+') continue;
    const std::string name = event.substr(event.rfind('/') + 1);
    if (order.empty() || order.back() != name) order.push_back(name);
  }
  return order;
}

std::string journal_phase(const fs::path& state, const std::string& key) {
  const auto file = state / "jobs" / key / "job.json";
  std::error_code ec;
  if (!fs::exists(file, ec)) return "none";
  try {
    return nlohmann::json::parse(read(file)).at("phase").get<std::string>();
  } catch (const std::exception&) {
    return "none";
  }
}

std::vector<std::string> left_in(const fs::path& dir) {
  std::vector<std::string> left;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) left.push_back(entry.path().filename().string());
  return left;
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// A wall-clock time as the config's local "HH:MM:SS".
std::string local_hms(std::chrono::system_clock::time_point at) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(at);
  std::tm local{};
  ::localtime_r(&seconds, &local);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &local);
  return text;
}

std::int64_t epoch_ns(std::chrono::system_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
}

}  // namespace

// ---- buses ------------------------------------------------------------------------------------

TEST_CASE("on a bus no two plugin calls overlap, on different buses flashes do", "[integration][campaign]") {
  otagw::test_support::TempDir files("otagw-campaign");
  FirmwareHost host(files.path());
  const fs::path calls_log = files.path() / "calls";
  // Listed bus a, a, b, b; each device its own package and a flash of 1 s.
  const std::map<std::string, std::string> bus_of{
      {"sub-0000", "uart-a"}, {"sub-0001", "uart-a"}, {"sub-0002", "uart-b"}, {"sub-0003", "uart-b"}};
  std::vector<SimDevice> devices;
  std::vector<FirmwareHost::Image> images;
  for (int i = 0; i < 4; ++i) {
    const std::string name = name_of(i);
    images.push_back(host.add("p" + std::to_string(i) + ".bin", 20000));
    devices.push_back(rec_device(name, files.path() / name, by_query(firmware_yaml(host, images.back(), kTarget)),
                                 bus_of.at(name), calls_log, "sleep_s: 1"));
  }
  CloudFixture cloud(devices, recorder_options());
  REQUIRE(cloud.run_once() == 0);
  INFO(cloud.daemon_log());
  const auto calls = calls_in(calls_log);
  INFO("calls:\n" << dump(calls));
  const auto report = cloud.stop_sim_and_report();
  for (int i = 0; i < 4; ++i) {
    INFO(name_of(i));
    CHECK(last_inform(device_in(report, name_of(i))) == kTarget);
    CHECK(lines_in(files.path() / name_of(i) / "completed") == 1);
  }
  // The first sight's version probes, the flashes, their confirmations.
  CHECK(of_kind(calls, "flash").size() == 4);
  CHECK(of_kind(calls, "version").size() >= 8);
  CHECK(overlap_on_a_bus(calls, bus_of).empty());
  CHECK(flashes_overlap_across_buses(calls, bus_of));
}

TEST_CASE("the bus `default` is serial: without buses no two plugin calls overlap", "[integration][campaign]") {
  otagw::test_support::TempDir files("otagw-campaign");
  FirmwareHost host(files.path());
  const fs::path calls_log = files.path() / "calls";
  std::vector<SimDevice> devices;
  std::map<std::string, std::string> bus_of;
  for (int i = 0; i < 3; ++i) {
    const std::string name = name_of(i);
    const auto image = host.add("p" + std::to_string(i) + ".bin", 20000);
    devices.push_back(rec_device(name, files.path() / name, by_query(firmware_yaml(host, image, kTarget)), "",
                                 calls_log, "sleep_s: 0.5"));
    bus_of[name] = "default";
  }
  CloudFixture cloud(devices, recorder_options());
  REQUIRE(cloud.run_once() == 0);
  INFO(cloud.daemon_log());
  const auto calls = calls_in(calls_log);
  INFO("calls:\n" << dump(calls));
  const auto report = cloud.stop_sim_and_report();
  for (int i = 0; i < 3; ++i) CHECK(last_inform(device_in(report, name_of(i))) == kTarget);
  CHECK(of_kind(calls, "flash").size() == 3);
  CHECK(of_kind(calls, "version").size() >= 6);
  CHECK(overlap_on_a_bus(calls, bus_of).empty());
}

TEST_CASE("one OTA channel at a time throughout, while jobs run side by side", "[integration][campaign]") {
  otagw::test_support::TempDir files("otagw-campaign");
  FirmwareHost host(files.path());
  const fs::path calls_log = files.path() / "calls";
  // Three buses, two devices each; every query answered after 300 ms, so
  // the visits go on for about two seconds while the first jobs flash.
  std::vector<SimDevice> devices;
  std::map<std::string, std::string> bus_of;
  for (int i = 0; i < 6; ++i) {
    const std::string name = name_of(i);
    bus_of[name] = "bus" + std::to_string(i / 2);
    const auto image = host.add("p" + std::to_string(i) + ".bin", 20000);
    devices.push_back(rec_device(name, files.path() / name,
                                 "modules: {default: {delay_ms: 300, " + firmware_yaml(host, image, kTarget) + "}}",
                                 bus_of[name], calls_log, "sleep_s: 1"));
  }
  CloudFixture cloud(devices, recorder_options());
  REQUIRE(cloud.run_once() == 0);
  INFO(cloud.daemon_log());
  const auto calls = calls_in(calls_log);
  INFO("calls:\n" << dump(calls));
  const auto report = cloud.stop_sim_and_report();
  for (int i = 0; i < 6; ++i) CHECK(last_inform(device_in(report, name_of(i))) == kTarget);
  // Flashes of devices visited one after the other overlapped: the later
  // visit came while the earlier device's job was still in flight.
  CHECK(flashes_overlap_across_buses(calls, bus_of));
  CHECK(overlap_on_a_bus(calls, bus_of).empty());
  const auto events = cloud.ota_subscription_events();
  INFO("broker: " << [&events] {
    std::string text;
    for (const auto& e : events) text += e + " ";
    return text;
  }());
  CHECK(check_one_channel_at_a_time(events).empty());
  CHECK(visit_order(events).size() == 6);  // each device visited once: no job needed the channel again
}

TEST_CASE("a pass visits the devices round-robin across their buses", "[integration][campaign]") {
  // Listed a, a, a, b, b, b: visited a, b, a, b, a, b (registry order within a bus).
  std::vector<SimDevice> devices;
  for (int i = 0; i < 6; ++i) {
    SimDevice d;
    d.name = name_of(i);
    d.config_extra = std::string("bus: ") + (i < 3 ? "a" : "b");
    devices.push_back(d);
  }
  CloudFixture cloud(devices);
  REQUIRE(cloud.run_once() == 0);
  INFO(cloud.daemon_log());
  const auto events = cloud.ota_subscription_events();
  CHECK(check_one_channel_at_a_time(events).empty());
  CHECK(visit_order(events) ==
        std::vector<std::string>{"sub-0000", "sub-0003", "sub-0001", "sub-0004", "sub-0002", "sub-0005"});
}

// ---- the channel moves on -----------------------------------------------------------------------

TEST_CASE("a job's progress and inform reach the platform while another device holds the channel",
          "[integration][campaign]") {
  otagw::test_support::TempDir files("otagw-campaign");
  FirmwareHost host(files.path());
  const fs::path calls_log = files.path() / "calls";
  otagw::cloudsim::FaultSpec slow;
  slow.rate_bytes_per_s = 100000;
  const auto image = host.add("p.bin", 200000, slow);
  // sub-0000 takes its offer; the channel goes on to sub-0001, whose query
  // the platform answers only after 5 s. The job downloads (2 s, its
  // progress steps) and flashes meanwhile.
  CloudFixture cloud({rec_device("sub-0000", files.path() / "d0", by_query(firmware_yaml(host, image, kTarget)), "",
                                 calls_log, "sleep_s: 0.5"),
                      rec_device("sub-0001", files.path() / "d1", "modules: {default: {delay_ms: 5000}}", "", calls_log)},
                     recorder_options("allow_http: true, download_retry_s: 0, query_timeout_s: 10"));
  REQUIRE(cloud.run_once() == 0);
  INFO(cloud.daemon_log());
  const auto report = cloud.stop_sim_and_report();
  const auto& job = device_in(report, "sub-0000");
  const auto& other = device_in(report, "sub-0001");
  REQUIRE(other.at("queries").size() == 1);
  const std::int64_t asked = other.at("queries")[0].at("t_ms").get<std::int64_t>();
  const std::int64_t answered = asked + 5000;
  INFO("sub-0001 asked at " << asked << " ms, answered at " << answered << " ms; sub-0000: " << job.dump());
  // The download's steps (up to "100") and the final inform came while
  // sub-0001's visit held the channel.
  const auto informed = inform_time(job, kTarget);
  REQUIRE(informed);
  CHECK(*informed > asked);
  CHECK(*informed < answered);
  std::size_t steps_during = 0;
  bool hundred_during = false;
  for (const auto& p : job.at("progress")) {
    const auto t = p.at("t_ms").get<std::int64_t>();
    if (t > asked && t < answered) {
      ++steps_during;
      if (p.at("step") == "100") hundred_during = true;
    }
  }
  CHECK(steps_during >= 2);
  CHECK(hundred_during);
  CHECK(check_one_channel_at_a_time(cloud.ota_subscription_events()).empty());
}

// ---- expired URLs, asked again through the channel's queue ------------------------------------

namespace {

enum class Requery { fresh_url, no_offer, other_version };

// sub-0000 holds the only download slot for about 3 s (a slow package);
// meanwhile sub-0001's job waits with an offer whose URL answers 403. The
// platform is restarted then with sub-0001's entry changed as `requery`
// says, so the job's second firmware/get (through the channel's queue) gets
// the new answer.
struct RequeryRun {
  int exit = -1;
  nlohmann::json before;  // the first simulator's report
  nlohmann::json after;   // the restarted one's
  std::uint64_t expired_requests = 0;
  std::uint64_t fresh_requests = 0;
  std::string log;
};

RequeryRun run_requery(Requery requery, const fs::path& dir) {
  FirmwareHost host(dir);
  otagw::cloudsim::FaultSpec slow;
  slow.rate_bytes_per_s = 100000;
  const auto hog = host.add("hog.bin", 300000, slow);
  const auto fresh = host.add("fresh.bin", 50000);
  otagw::cloudsim::FaultSpec expired_fault;
  expired_fault.status = 403;
  const auto expired = host.add("expired.bin", 10, expired_fault);
  // The offer of fresh.bin's bytes at the expired URL.
  std::string offer = firmware_yaml(host, fresh, kTarget);
  offer.replace(offer.find(host.url(fresh)), host.url(fresh).size(), host.url(expired));
  const std::string first_entry = ", modules: {default: {" + offer + "}}";

  CloudFixture cloud({device("sub-0000", dir / "d0", by_query(firmware_yaml(host, hog, kTarget))),
                      device("sub-0001", dir / "d1", by_query(offer))},
                     recorder_options("allow_http: true, download_retry_s: 0, max_parallel_downloads: 1"));
  auto& daemon = cloud.start_once();
  RequeryRun run;
  // The job of sub-0001 exists (it waits for the download slot).
  REQUIRE(daemon.wait_for_stderr("sub-device a1SubProd1/sub-0001: firmware 1.0.0 -> " + kTarget, 20s));
  run.before = cloud.stop_sim_and_report();
  std::string scenario = read(cloud.dir() / "scenario.yaml");
  const auto at = scenario.find(first_entry);
  REQUIRE(at != std::string::npos);
  switch (requery) {
    case Requery::fresh_url:
      scenario.replace(at, first_entry.size(), ", " + by_query(firmware_yaml(host, fresh, kTarget)));
      break;
    case Requery::no_offer: scenario.erase(at, first_entry.size()); break;
    case Requery::other_version:
      scenario.replace(at, first_entry.size(), ", " + by_query(firmware_yaml(host, fresh, "3.0.0")));
      break;
  }
  std::ofstream(cloud.dir() / "scenario.yaml") << scenario;
  cloud.start_sim();
  // The restart came before sub-0001 tried its URL (else this run proves nothing).
  REQUIRE(host.requests(expired) == 0);
  const auto status = daemon.wait(60s);
  run.log = daemon.stderr_text();
  INFO(run.log);
  REQUIRE(status);
  run.exit = *status;
  run.after = cloud.stop_sim_and_report();
  run.expired_requests = host.requests(expired);
  run.fresh_requests = host.requests(fresh);
  return run;
}

}  // namespace

TEST_CASE("an expired URL is asked again through the channel's queue and the fresh one installs",
          "[integration][campaign]") {
  otagw::test_support::TempDir files("otagw-campaign");
  const RequeryRun run = run_requery(Requery::fresh_url, files.path());
  INFO(run.log);
  CHECK(run.exit == 0);
  CHECK(device_in(run.before, "sub-0001").at("queries").size() == 1);
  CHECK(device_in(run.after, "sub-0001").at("queries").size() == 1);  // the requery
  CHECK(run.expired_requests == 1);
  CHECK(run.fresh_requests == 1);
  const auto& dev = device_in(run.after, "sub-0001");
  CHECK(last_inform(dev) == kTarget);
  for (const auto& step : steps_of(dev)) CHECK(std::stoi(step) > 0);
  CHECK(lines_in(files.path() / "d1" / "completed") == 1);
  CHECK(last_inform(device_in(run.after, "sub-0000")) == kTarget);
}

TEST_CASE("a requery answered with no offer or another version ends the job with -2", "[integration][campaign]") {
  const Requery requery = GENERATE(Requery::no_offer, Requery::other_version);
  INFO((requery == Requery::no_offer ? "answered data:{}" : "answered 3.0.0"));
  otagw::test_support::TempDir files("otagw-campaign");
  const RequeryRun run = run_requery(requery, files.path());
  INFO(run.log);
  CHECK(run.exit == 6);  // a job failed
  CHECK(device_in(run.after, "sub-0001").at("queries").size() == 1);
  CHECK(run.expired_requests == 1);
  CHECK(run.fresh_requests == 0);
  const auto& dev = device_in(run.after, "sub-0001");
  REQUIRE_FALSE(steps_of(dev).empty());
  CHECK(steps_of(dev).back() == "-2");
  CHECK(informs_of(dev).empty());  // nothing new reported: it still runs 1.0.0
  CHECK_FALSE(fs::exists(files.path() / "d1" / "flashes"));
  CHECK(last_inform(device_in(run.after, "sub-0000")) == kTarget);  // the other job is unharmed
}

// ---- shared downloads -------------------------------------------------------------------------

TEST_CASE("the same package for two devices is downloaded once and installed on both", "[integration][campaign]") {
  otagw::test_support::TempDir files("otagw-campaign");
  FirmwareHost host(files.path());
  const fs::path calls_log = files.path() / "calls";
  otagw::cloudsim::FaultSpec slow;
  slow.rate_bytes_per_s = 400000;  // 1 s: the second job finds the first downloading
  const auto image = host.add("shared.bin", 400000, slow);
  CloudFixture cloud({rec_device("sub-0000", files.path() / "d0", by_query(firmware_yaml(host, image, kTarget)), "a",
                                 calls_log),
                      rec_device("sub-0001", files.path() / "d1", by_query(firmware_yaml(host, image, kTarget)), "b",
                                 calls_log)},
                     recorder_options());
  REQUIRE(cloud.run_once() == 0);
  INFO(cloud.daemon_log());
  const auto report = cloud.stop_sim_and_report();
  CHECK(host.requests(image) == 1);
  for (const char* name : {"sub-0000", "sub-0001"}) {
    INFO(name);
    CHECK(last_inform(device_in(report, name)) == kTarget);
    const std::string target = name == std::string("sub-0000") ? "d0" : "d1";
    CHECK(read(files.path() / target / "image") == read(image.file));
    CHECK(read(files.path() / target / "images") == image.sha256 + "\n");
  }
  CHECK_FALSE(fs::exists(cloud.dir() / "state" / "cache"));
  CHECK(left_in(cloud.dir() / "state" / "jobs").empty());
}

// Each job saves the device state when its flash is confirmed; jobs that
// end together save at the same moment (two writers of devices.json.tmp once
// raced: one save failed with ENOENT and its job stayed journaled).
TEST_CASE("jobs that end at the same moment all save the state and leave no journal", "[integration][campaign]") {
  otagw::test_support::TempDir files("otagw-campaign");
  FirmwareHost host(files.path());
  const fs::path calls_log = files.path() / "calls";
  // Eight buses, one package: downloaded once, then eight flashes at once
  // that end together.
  const auto image = host.add("shared.bin", 20000);
  std::vector<SimDevice> devices;
  for (int i = 0; i < 8; ++i) {
    devices.push_back(rec_device(name_of(i), files.path() / name_of(i), by_query(firmware_yaml(host, image, kTarget)),
                                 "bus" + std::to_string(i), calls_log));
  }
  CloudFixture cloud(devices, recorder_options());
  REQUIRE(cloud.run_once() == 0);
  const std::string log = cloud.daemon_log();
  INFO(log);
  const auto report = cloud.stop_sim_and_report();
  const fs::path state = cloud.dir() / "state";
  const auto saved = nlohmann::json::parse(read(state / "devices.json"));
  for (int i = 0; i < 8; ++i) {
    INFO(name_of(i));
    CHECK(last_inform(device_in(report, name_of(i))) == kTarget);
    CHECK(saved.at("devices").at(key_of(name_of(i))).at("installed_versions").at("") == kTarget);
  }
  CHECK(left_in(state / "jobs").empty());
  CHECK(count_of(log, "cannot save device state") == 0);
}

TEST_CASE("a shared download that fails does not fail the job waiting on it: it downloads itself",
          "[integration][campaign]") {
  otagw::test_support::TempDir files("otagw-campaign");
  FirmwareHost host(files.path());
  otagw::cloudsim::FaultSpec faults;
  faults.rate_bytes_per_s = 200000;
  faults.drop_at_byte = 200000;  // the first request only: cut after 1 s, with no retry budget
  faults.drop_times = 1;
  const auto image = host.add("shared.bin", 400000, faults);
  const fs::path calls_log = files.path() / "calls";
  CloudFixture cloud({rec_device("sub-0000", files.path() / "d0", by_query(firmware_yaml(host, image, kTarget)), "a",
                                 calls_log),
                      rec_device("sub-0001", files.path() / "d1", by_query(firmware_yaml(host, image, kTarget)), "b",
                                 calls_log)},
                     recorder_options());
  REQUIRE(cloud.run_once() == 6);  // sub-0000's job failed
  const std::string log = cloud.daemon_log();
  INFO(log);
  const auto report = cloud.stop_sim_and_report();
  REQUIRE_FALSE(steps_of(device_in(report, "sub-0000")).empty());
  CHECK(steps_of(device_in(report, "sub-0000")).back() == "-2");
  CHECK_FALSE(fs::exists(files.path() / "d0" / "flashes"));
  const auto& waiting = device_in(report, "sub-0001");
  CHECK(last_inform(waiting) == kTarget);
  for (const auto& step : steps_of(waiting)) CHECK(std::stoi(step) > 0);
  CHECK(read(files.path() / "d1" / "image") == read(image.file));
  // sub-0001 waited for sub-0000's download (one request), then made its own.
  CHECK(host.requests(image) == 2);
  CHECK(count_of(log, "sub-device a1SubProd1/sub-0001: the shared download of image.bin failed") == 1);
}

// ---- staging room -----------------------------------------------------------------------------

TEST_CASE("ota.max_staging_bytes: the second download waits until the first job ends, both install",
          "[integration][campaign]") {
  otagw::test_support::TempDir files("otagw-campaign");
  FirmwareHost host(files.path());
  const fs::path calls_log = files.path() / "calls";
  // 1 MiB of room; each package 700 kB: one fits, two do not. The devices
  // are on different buses, so only the room keeps the second flash from
  // running beside the first.
  const auto first = host.add("p0.bin", 700000);
  const auto second = host.add("p1.bin", 700000);
  CloudFixture cloud({rec_device("sub-0000", files.path() / "d0", by_query(firmware_yaml(host, first, kTarget)), "a",
                                 calls_log, "sleep_s: 1"),
                      rec_device("sub-0001", files.path() / "d1", by_query(firmware_yaml(host, second, kTarget)), "b",
                                 calls_log, "sleep_s: 1")},
                     recorder_options("allow_http: true, download_retry_s: 0, max_staging_bytes: 1048576"));
  REQUIRE(cloud.run_once() == 0);
  const std::string log = cloud.daemon_log();
  INFO(log);
  const auto calls = calls_in(calls_log);
  INFO("calls:\n" << dump(calls));
  const auto report = cloud.stop_sim_and_report();
  CHECK(last_inform(device_in(report, "sub-0000")) == kTarget);
  CHECK(last_inform(device_in(report, "sub-0001")) == kTarget);
  CHECK(host.requests(first) == 1);
  CHECK(host.requests(second) == 1);
  // The first job's flash (and its confirmation) ended before the second
  // device's flash began.
  const Call& flash0 = only_call(calls, "sub-0000", "flash");
  const Call& flash1 = only_call(calls, "sub-0001", "flash");
  CHECK(flash0.end_ns < flash1.start_ns);
  CHECK(count_of(log, "sub-device a1SubProd1/sub-0001: download waits: ota.max_staging_bytes") == 1);
  CHECK_FALSE(fs::exists(cloud.dir() / "state" / "cache"));
}

TEST_CASE("a package larger than ota.max_staging_bytes fails with -2 at once, never downloaded",
          "[integration][campaign]") {
  otagw::test_support::TempDir files("otagw-campaign");
  FirmwareHost host(files.path());
  const auto image = host.add("big.bin", 1200000);
  CloudFixture cloud({device("sub-0000", files.path() / "d0", by_query(firmware_yaml(host, image, kTarget)))},
                     recorder_options("allow_http: true, download_retry_s: 0, max_staging_bytes: 1048576"));
  REQUIRE(cloud.run_once() == 6);
  INFO(cloud.daemon_log());
  const auto report = cloud.stop_sim_and_report();
  const auto& dev = device_in(report, "sub-0000");
  REQUIRE(dev.at("progress").size() == 1);
  CHECK(dev.at("progress")[0].at("step") == "-2");
  CHECK_THAT(dev.at("progress")[0].at("desc").get<std::string>(), Catch::Contains("max_staging_bytes"));
  CHECK(host.requests(image) == 0);
  CHECK_FALSE(fs::exists(files.path() / "d0" / "flashes"));
  CHECK(left_in(cloud.dir() / "state" / "jobs").empty());
}

// ---- --once -----------------------------------------------------------------------------------

TEST_CASE("otagwd --once exits after every job's final inform, long after the visits ended", "[integration][campaign]") {
  otagw::test_support::TempDir files("otagw-campaign");
  FirmwareHost host(files.path());
  const fs::path calls_log = files.path() / "calls";
  const auto a = host.add("a.bin", 20000);
  const auto b = host.add("b.bin", 20000);
  CloudFixture cloud({rec_device("sub-0000", files.path() / "d0", by_query(firmware_yaml(host, a, kTarget)), "a",
                                 calls_log, "sleep_s: 2"),
                      rec_device("sub-0001", files.path() / "d1", by_query(firmware_yaml(host, b, kTarget)), "b",
                                 calls_log, "sleep_s: 2")},
                     recorder_options());
  REQUIRE(cloud.run_once() == 0);
  const std::string log = cloud.daemon_log();
  INFO(log);
  CHECK(log.find("2 job(s) installed, 0 job(s) failed") != std::string::npos);
  const auto report = cloud.stop_sim_and_report();
  std::int64_t last_query = 0;
  for (const char* name : {"sub-0000", "sub-0001"}) {
    for (const auto& q : device_in(report, name).at("queries")) {
      last_query = std::max(last_query, q.at("t_ms").get<std::int64_t>());
    }
  }
  for (const char* name : {"sub-0000", "sub-0001"}) {
    INFO(name);
    const auto informed = inform_time(device_in(report, name), kTarget);
    REQUIRE(informed);  // reached the platform before otagwd exited
    CHECK(*informed - last_query >= 1500);  // the flashes took 2 s after the last visit's query
  }
  CHECK(check_one_channel_at_a_time(cloud.ota_subscription_events()).empty());
}

// ---- flash windows ----------------------------------------------------------------------------

TEST_CASE("outside its flash window a job downloads, verifies, waits, then flashes when the window opens",
          "[integration][campaign]") {
  otagw::test_support::TempDir files("otagw-campaign");
  FirmwareHost host(files.path());
  const fs::path calls_log = files.path() / "calls";
  const auto image = host.add("w.bin", 20000);
  // A window opening 6 s from now (local time, to the second), for 10 minutes.
  const auto opens = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) + 6s;
  const std::string window = local_hms(opens) + "-" + local_hms(opens + 10min);
  CloudFixture cloud({rec_device("sub-0000", files.path() / "d0", by_query(firmware_yaml(host, image, kTarget)), "",
                                 calls_log, "sleep_s: 0.5")},
                     recorder_options("allow_http: true, download_retry_s: 0, flash_windows: [\"" + window +
                                      "\"], require_synced_clock: false"));
  // As the service runs (--once would leave the parked job journaled and exit).
  auto& daemon = cloud.start_service();
  auto client = otagw::test_support::ControlClient::wait_for(cloud.control_socket(), 20s);
  REQUIRE(client);
  nlohmann::json row;
  auto row_now = [&client, &row] {
    if (!client->send(R"({"v":1,"cmd":"status"})")) return false;
    const auto line = client->read_line(5s);
    if (!line) return false;
    const auto answer = nlohmann::json::parse(*line);
    for (const auto& r : answer.at("status").at("devices")) {
      if (r.at("device_name") == "sub-0000") row = r;
    }
    return row.is_object();
  };
  // The operator sees the job waiting for its window, verified and journaled.
  REQUIRE(wait_until([&] { return row_now() && row.at("state") == "waiting"; }, 20s, 100ms));
  const auto seen_waiting = std::chrono::system_clock::now();
  {
    INFO("row: " << row.dump() << "\n" << daemon.stderr_text());
    CHECK(seen_waiting < opens);  // else the window opened before the job got there: the test proves nothing
    CHECK(row.at("waiting_for") == "flash window");
    CHECK(row.at("target_version") == kTarget);
    CHECK(journal_phase(cloud.dir() / "state", key_of("sub-0000")) == "verified");
    CHECK_FALSE(fs::exists(files.path() / "d0" / "flashes"));
  }
  // The window opens: flashed, confirmed, reported.
  const bool reported = wait_until([&] { return row_now() && row.at("version") == kTarget; }, 30s, 100ms);
  daemon.signal(SIGTERM);
  const auto status = daemon.wait(20s);
  const std::string log = daemon.stderr_text();
  INFO("row: " << row.dump() << "\n" << log);
  REQUIRE(reported);
  CHECK(status == 0);
  CHECK(log.find("sub-device a1SubProd1/sub-0000: " + kTarget + " verified; waiting for its flash window") !=
        std::string::npos);
  const auto calls = calls_in(calls_log);
  INFO("calls:\n" << dump(calls));
  CHECK(only_call(calls, "sub-0000", "flash").start_ns >= epoch_ns(opens));
  const auto report = cloud.stop_sim_and_report();
  CHECK(last_inform(device_in(report, "sub-0000")) == kTarget);
  CHECK(host.requests(image) == 1);
  CHECK(left_in(cloud.dir() / "state" / "jobs").empty());
}

TEST_CASE("otagwd --once leaves a job waiting for its window journaled, the next start flashes it without downloading",
          "[integration][campaign]") {
  otagw::test_support::TempDir files("otagw-campaign");
  FirmwareHost host(files.path());
  const auto image = host.add("w.bin", 20000);
  const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  const std::string later = local_hms(now + 1h) + "-" + local_hms(now + 2h);
  CloudFixture cloud({device("sub-0000", files.path() / "d0", by_query(firmware_yaml(host, image, kTarget)))},
                     recorder_options("allow_http: true, download_retry_s: 0, flash_windows: [\"" + later +
                                      "\"], require_synced_clock: false"));
  REQUIRE(cloud.run_once() == 0);
  const std::string first_log = cloud.daemon_log();
  INFO(first_log);
  const fs::path state = cloud.dir() / "state";
  CHECK(journal_phase(state, key_of("sub-0000")) == "verified");
  CHECK(first_log.find("1 job(s) verified and journaled, waiting for their flash window: a1SubProd1/sub-0000") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(files.path() / "d0" / "flashes"));
  CHECK(host.requests(image) == 1);

  // The window is open at the next start.
  std::string config = read(cloud.dir() / "gateway.yaml");
  const std::string open_now = local_hms(now - 1min) + "-" + local_hms(now + 1h);
  config.replace(config.find(later), later.size(), open_now);
  std::ofstream(cloud.dir() / "gateway.yaml") << config;
  REQUIRE(cloud.run_once() == 0);
  INFO(cloud.daemon_log());
  const auto report = cloud.stop_sim_and_report();
  CHECK(last_inform(device_in(report, "sub-0000")) == kTarget);
  CHECK(lines_in(files.path() / "d0" / "completed") == 1);
  CHECK(read(files.path() / "d0" / "image") == read(image.file));
  CHECK(host.requests(image) == 1);  // flashed from the journaled image
  CHECK(left_in(state / "jobs").empty());
}
