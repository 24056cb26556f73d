// Firmware jobs end to end: otagwd --once, otagw-cloudsim offering packages
// served by the cloudsim firmware server (plain HTTP on loopback, with
// faults), and real plugin processes. The platform's view (informs, progress
// steps) comes from the simulator's report; the device's from the plugin.
#include <catch2/catch.hpp>

#include <signal.h>

#include <fstream>
#include <sstream>

#include "tests/subdev/cloud_fixture.hpp"
#include "tests/subdev/firmware_host.hpp"
#include "tests/subdev/job_report.hpp"
#include "tests/support/wait_until.hpp"

using namespace otagw::sweep_test;
using namespace std::chrono_literals;


TEST_CASE("a queried SHA-256 package is downloaded, verified, flashed and reported", "[integration][jobs]") {
  otagw::test_support::TempDir files("otagw-fw");
  FirmwareHost host(files.path());
  const auto image = host.add("a.bin", 300000);
  const auto target = files.path() / "dev0";
  CloudFixture cloud({device("sub-0000", target, by_query(firmware_yaml(host, image, "2.0.0"))),
                      device("sub-0001", files.path() / "dev1", "")},
                     recorder_options());
  REQUIRE(cloud.run_once() == 0);
  CHECK(cloud.daemon_log().find("1 job(s) installed, 0 job(s) failed") != std::string::npos);
  const auto report = cloud.stop_sim_and_report();
  INFO(cloud.daemon_log());
  const auto& dev = device_in(report, "sub-0000");
  CHECK(informs_of(dev) == std::vector<std::string>{"1.0.0", "2.0.0"});  // the upgrade counts only now
  const auto steps = steps_of(dev);
  REQUIRE_FALSE(steps.empty());
  CHECK(steps.back() == "100");
  for (const auto& step : steps) CHECK(std::stoi(step) > 0);
  CHECK(read(target / "image") == read(image.file));
  CHECK(lines_in(target / "flashes") == 1);
  // The env the plugin got.
  const auto env = read(target / "env");
  CHECK(env.find("OTAGW_TARGET_VERSION=2.0.0") != std::string::npos);
  CHECK(env.find("OTAGW_CURRENT_VERSION=1.0.0") != std::string::npos);
  CHECK(env.find("OTAGW_DEVICE_NAME=sub-0000") != std::string::npos);
  CHECK(env.find("OTAGW_IS_DIFF=0") != std::string::npos);
  // Nothing left behind; the state knows the new version.
  CHECK_FALSE(std::filesystem::exists(cloud.dir() / "state" / "jobs" / "a1SubProd1.sub-0000" / "job.json"));
  const auto state = nlohmann::json::parse(read(cloud.dir() / "state" / "devices.json"));
  CHECK(state["devices"]["a1SubProd1.sub-0000"]["installed_versions"][""] == "2.0.0");
  // The device without an offer was visited too.
  CHECK(device_in(report, "sub-0001").at("queries").size() == 1);
}

TEST_CASE("an MD5 package pushed during the wait, with the delta flag and extData reach the plugin", "[integration][jobs]") {
  otagw::test_support::TempDir files("otagw-fw");
  FirmwareHost host(files.path());
  const auto image = host.add("b.bin", 5000);
  const auto target = files.path() / "dev0";
  CloudFixture cloud({device("sub-0000", target,
                             "modules: {default: {query: push, delay_ms: 50, " +
                                 firmware_yaml(host, image, "3.1.0", true, "isDiff: 1, extData: {channel: beta}") + "}}")},
                     recorder_options());
  REQUIRE(cloud.run_once() == 0);
  const auto report = cloud.stop_sim_and_report();
  INFO(cloud.daemon_log());
  CHECK(informs_of(device_in(report, "sub-0000")).back() == "3.1.0");
  const auto env = read(target / "env");
  CHECK(env.find("OTAGW_IS_DIFF=1") != std::string::npos);
  CHECK(env.find("OTAGW_EXT_DATA={\"channel\":\"beta\"}") != std::string::npos);
  CHECK(read(target / "image") == read(image.file));
}

TEST_CASE("a dropped connection resumes with a Range request", "[integration][jobs]") {
  otagw::test_support::TempDir files("otagw-fw");
  FirmwareHost host(files.path());
  otagw::cloudsim::FaultSpec drop;
  drop.drop_at_byte = 100000;
  drop.drop_times = 1;
  const auto image = host.add("c.bin", 400000, drop);
  const auto target = files.path() / "dev0";
  CloudFixture cloud({device("sub-0000", target, by_query(firmware_yaml(host, image, "2.0.0")))},
                     recorder_options("allow_http: true, download_retry_s: 30"));
  REQUIRE(cloud.run_once() == 0);
  const auto report = cloud.stop_sim_and_report();
  INFO(cloud.daemon_log());
  CHECK(informs_of(device_in(report, "sub-0000")).back() == "2.0.0");
  CHECK(read(target / "image") == read(image.file));
  const auto ranges = host.ranges(image);
  REQUIRE(ranges.size() >= 2);
  CHECK(ranges.back().rfind("bytes=", 0) == 0);
  CHECK(ranges.back() != "bytes=0-");
}

TEST_CASE("a wrong digest is reported as -3 and never flashed", "[integration][jobs]") {
  otagw::test_support::TempDir files("otagw-fw");
  FirmwareHost host(files.path());
  auto image = host.add("d.bin", 20000);
  image.sha256 = std::string(64, 'a');
  const auto target = files.path() / "dev0";
  CloudFixture cloud({device("sub-0000", target, by_query(firmware_yaml(host, image, "2.0.0")))}, recorder_options());
  REQUIRE(cloud.run_once() == 6);  // a job failed in a complete pass
  CHECK(cloud.daemon_log().find("0 job(s) installed, 1 job(s) failed") != std::string::npos);
  const auto report = cloud.stop_sim_and_report();
  const auto& dev = device_in(report, "sub-0000");
  CHECK(steps_of(dev).back() == "-3");
  CHECK(informs_of(dev) == std::vector<std::string>{"1.0.0"});
  CHECK_FALSE(std::filesystem::exists(target / "flashes"));
  CHECK_FALSE(std::filesystem::exists(cloud.dir() / "state" / "jobs" / "a1SubProd1.sub-0000"));
}

TEST_CASE("an image host outside ota.allowed_download_hosts is -2 and never asked", "[integration][jobs]") {
  otagw::test_support::TempDir files("otagw-fw");
  FirmwareHost host(files.path());
  const auto image = host.add("h.bin", 5000);
  const auto target = files.path() / "dev0";
  // The firmware host's URLs name 127.0.0.1.
  CloudFixture cloud({device("sub-0000", target, by_query(firmware_yaml(host, image, "2.0.0")))},
                     recorder_options("allow_http: true, download_retry_s: 60, "
                                      "allowed_download_hosts: [localhost, \"*.example.com\"]"));
  REQUIRE(cloud.run_once() == 6);  // a job failed in a complete pass
  const auto report = cloud.stop_sim_and_report();
  INFO(cloud.daemon_log());
  const auto& dev = device_in(report, "sub-0000");
  CHECK(steps_of(dev).back() == "-2");
  CHECK(informs_of(dev) == std::vector<std::string>{"1.0.0"});
  CHECK(host.requests(image) == 0);
  CHECK_FALSE(std::filesystem::exists(target / "flashes"));
}

TEST_CASE("HTTP errors are -2, a failing plugin is -4 and the sweep goes on", "[integration][jobs]") {
  otagw::test_support::TempDir files("otagw-fw");
  FirmwareHost host(files.path());
  otagw::cloudsim::FaultSpec not_found;
  not_found.status = 404;
  const auto missing = host.add("e.bin", 1000, not_found);
  const auto good = host.add("f.bin", 1000);
  CloudFixture cloud({device("sub-0000", files.path() / "d0", by_query(firmware_yaml(host, missing, "2.0.0"))),
                      device("sub-0001", files.path() / "d1", by_query(firmware_yaml(host, good, "2.0.0")), "fail: 1"),
                      device("sub-0002", files.path() / "d2", by_query(firmware_yaml(host, good, "2.0.0")))},
                     recorder_options());
  REQUIRE(cloud.run_once() == 6);  // a job failed in a complete pass
  const auto report = cloud.stop_sim_and_report();
  INFO(cloud.daemon_log());
  CHECK(steps_of(device_in(report, "sub-0000")).back() == "-2");
  CHECK(steps_of(device_in(report, "sub-0001")).back() == "-4");
  CHECK(informs_of(device_in(report, "sub-0001")) == std::vector<std::string>{"1.0.0"});
  CHECK(informs_of(device_in(report, "sub-0002")).back() == "2.0.0");
  // sub-0001 and sub-0002 share one package: downloaded once in the pass.
  CHECK(host.requests(good) == 1);
}

TEST_CASE("kill -9 mid-download: the restarted daemon resumes from the bytes on disk", "[integration][jobs]") {
  otagw::test_support::TempDir files("otagw-fw");
  FirmwareHost host(files.path());
  otagw::cloudsim::FaultSpec slow;
  slow.rate_bytes_per_s = 400000;  // 1 MB takes 2.5 s
  const auto image = host.add("h.bin", 1000000, slow);
  const auto target = files.path() / "dev0";
  CloudFixture cloud({device("sub-0000", target, by_query(firmware_yaml(host, image, "2.0.0")))},
                     recorder_options("allow_http: true, download_retry_s: 30"));
  auto& first = cloud.start_once();
  const auto staging = cloud.dir() / "state" / "jobs" / "a1SubProd1.sub-0000" / "image" / "image.bin";
  auto staged = [&staging] {
    std::error_code ec;
    const auto size = std::filesystem::file_size(staging, ec);
    return ec ? 0 : size;
  };
  REQUIRE(otagw::test_support::wait_until([&staged] { return staged() >= 300000; }, 10s));
  REQUIRE(staged() < 1000000);
  cloud.kill_daemon();
  const std::string first_log = first.stderr_text();
  INFO(first_log);

  host.set_faults(image.url_path, {});
  REQUIRE(cloud.run_once() == 0);
  const auto report = cloud.stop_sim_and_report();
  INFO(cloud.daemon_log());
  CHECK(informs_of(device_in(report, "sub-0000")).back() == "2.0.0");
  CHECK(read(target / "image") == read(image.file));
  CHECK(lines_in(target / "flashes") == 1);
  const auto ranges = host.ranges(image);
  REQUIRE(ranges.size() >= 2);
  const auto resumed_at = std::stoull(ranges.back().substr(6));
  CHECK(resumed_at >= 300000);
}

namespace {

// Starts `otagwd --once` and kills it with -9 once the plugin runs (it
// records each flash, and the image it was handed, as it starts). The
// plugin's process dies with the daemon (PR_SET_PDEATHSIG); what it started
// (the recorder's `sleep`) ends by itself, the next start ends it otherwise.
// Returns once no process works in the job directory any more.
void kill_mid_flash(CloudFixture& cloud, const std::filesystem::path& target) {
  auto& first = cloud.start_once();
  REQUIRE(first.wait_for_stderr("flashing 2.0.0", 20s));
  REQUIRE(otagw::test_support::wait_until([&target] { return lines_in(target / "images") == 1; }, 20s));
  cloud.kill_daemon();
  const auto job_dir = std::filesystem::canonical(cloud.dir()) / "state" / "jobs" / "a1SubProd1.sub-0000";
  auto plugin_running = [&job_dir] {
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      std::error_code ec;
      if (std::filesystem::read_symlink(entry.path() / "cwd", ec) == job_dir) return true;
    }
    return false;
  };
  REQUIRE(otagw::test_support::wait_until([&plugin_running] { return !plugin_running(); }, 10s));
}

std::string state_version(const std::filesystem::path& devices_json, const std::string& key) {
  std::error_code ec;
  if (!std::filesystem::exists(devices_json, ec)) return "(no state file)";
  const auto state = nlohmann::json::parse(read(devices_json));
  const auto& devices = state.at("devices");
  if (!devices.contains(key) || !devices[key].at("installed_versions").contains("")) return "(none)";
  return devices[key]["installed_versions"][""].get<std::string>();
}

std::vector<std::string> lines_of(const std::filesystem::path& path) {
  std::vector<std::string> lines;
  std::istringstream in(read(path));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("kill -9 mid-flash: the restarted daemon finishes the job exactly once", "[integration][jobs]") {
  otagw::test_support::TempDir files("otagw-fw");
  FirmwareHost host(files.path());
  const auto image = host.add("i.bin", 10000);
  const auto target = files.path() / "dev0";
  CloudFixture cloud({device("sub-0000", target, by_query(firmware_yaml(host, image, "2.0.0")), "sleep_s: 2")},
                     recorder_options());
  // The restarted daemon must end with the device flashed exactly once:
  // "already at" when the orphan finished, a second flash when it did not.
  kill_mid_flash(cloud, target);
  const bool finished_before_restart = std::filesystem::exists(target / "VERSION");
  REQUIRE(cloud.run_once() == 0);
  // The resumed job counts in the closing line like any other.
  CHECK(cloud.daemon_log().find("1 job(s) installed, 0 job(s) failed") != std::string::npos);
  const auto report = cloud.stop_sim_and_report();
  INFO(cloud.daemon_log());
  const auto informs = informs_of(device_in(report, "sub-0000"));
  CHECK(std::count(informs.begin(), informs.end(), "2.0.0") >= 1);
  CHECK(read(target / "VERSION") == "2.0.0\n");
  CHECK(lines_in(target / "completed") == 1);
  CHECK(lines_in(target / "flashes") == (finished_before_restart ? 1u : 2u));
  CHECK((cloud.daemon_log().find("already at 2.0.0") != std::string::npos) == finished_before_restart);
}

TEST_CASE("two crashes in a row: the state holds the target before the journal goes", "[integration][jobs]") {
  otagw::test_support::TempDir files("otagw-fw");
  FirmwareHost host(files.path());
  const auto image = host.add("s.bin", 10000);
  const auto target = files.path() / "dev0";
  // The cloud answers each query after 3 s: the restarted daemon's window
  // between ending the resumed job and the end of the device's visit, when
  // the sweeper saves the state anyway, is long enough to look at the disk.
  CloudFixture cloud({device("sub-0000", target,
                             "modules: {default: {delay_ms: 3000, " + firmware_yaml(host, image, "2.0.0") + "}}",
                             "sleep_s: 2")},
                     recorder_options("allow_http: true, download_retry_s: 0, query_timeout_s: 10"));
  // An earlier pass saved the device at 1.0.0: what a start trusts when the
  // state is not brought up to date before the journal goes.
  const auto state_dir = cloud.dir() / "state";
  std::filesystem::create_directories(state_dir);
  std::ofstream(state_dir / "devices.json")
      << R"({"version": 1, "devices": {"a1SubProd1.sub-0000": {"topology_added": false, )"
      << R"("installed_versions": {"": "1.0.0"}, "last_check_ms": 0, "last_result": "up_to_date"}}})";
  kill_mid_flash(cloud, target);
  // The device took the flash (the orphan may have died of SIGPIPE before
  // writing it): the restart finds "already at the target".
  std::ofstream(target / "VERSION") << "2.0.0\n";

  const auto job = state_dir / "jobs" / "a1SubProd1.sub-0000" / "job.json";
  REQUIRE(std::filesystem::exists(job));
  auto& second = cloud.start_once();
  REQUIRE(otagw::test_support::wait_until([&job] { return !std::filesystem::exists(job); }, 20s));
  // Second crash right after the journal went: the state on disk must
  // already name the target, or nothing tells the next start it is there.
  const std::string saved = state_version(state_dir / "devices.json", "a1SubProd1.sub-0000");
  cloud.kill_daemon();
  INFO(second.stderr_text());
  CHECK(saved == "2.0.0");

  REQUIRE(cloud.run_once() == 0);
  const auto report = cloud.stop_sim_and_report();
  INFO(cloud.daemon_log());
  const auto informs = informs_of(device_in(report, "sub-0000"));
  CHECK(informs.back() == "2.0.0");
  CHECK(std::count(informs.begin(), informs.end(), "1.0.0") == 1);  // the first start's only
  CHECK(lines_in(target / "flashes") == 1);  // never flashed again at the target
}

TEST_CASE("a kept image damaged between the crash and the restart never reaches the plugin", "[integration][jobs]") {
  otagw::test_support::TempDir files("otagw-fw");
  FirmwareHost host(files.path());
  const auto image = host.add("k.bin", 10000);
  const auto target = files.path() / "dev0";
  CloudFixture cloud({device("sub-0000", target, by_query(firmware_yaml(host, image, "2.0.0")), "sleep_s: 2")},
                     recorder_options());
  kill_mid_flash(cloud, target);
  // The device did not take the flash: the restart flashes from the kept image.
  std::filesystem::remove(target / "VERSION");
  const auto kept = cloud.dir() / "state" / "jobs" / "a1SubProd1.sub-0000" / "image" / "image.bin";
  REQUIRE(std::filesystem::exists(kept));
  std::filesystem::permissions(kept, std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
  {
    std::fstream file(kept, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(5000);
    const char byte = static_cast<char>(file.get());
    file.seekp(5000);
    file.put(static_cast<char>(byte ^ 0x5a));
  }

  // Documented choice: the resumed job ends with -3 (journal and image gone,
  // the plugin not run); the query of the same visit offers the package
  // again and a fresh download flashes the right bytes, so the visit ends
  // installed. Both jobs count: --once exits 6 for the failed one.
  REQUIRE(cloud.run_once() == 6);
  CHECK(cloud.daemon_log().find("1 job(s) installed, 1 job(s) failed") != std::string::npos);
  const auto report = cloud.stop_sim_and_report();
  INFO(cloud.daemon_log());
  const auto& dev = device_in(report, "sub-0000");
  const auto steps = steps_of(dev);
  CHECK(std::find(steps.begin(), steps.end(), "-3") != steps.end());
  CHECK(informs_of(dev).back() == "2.0.0");
  const auto handed = lines_of(target / "images");
  CHECK(handed == std::vector<std::string>(handed.size(), image.sha256));
  CHECK(handed.size() == 2);
  CHECK(read(target / "image") == read(image.file));
}

TEST_CASE("a flash the device did not take is -4 and never reported as the target", "[integration][jobs]") {
  otagw::test_support::TempDir files("otagw-fw");
  FirmwareHost host(files.path());
  const auto image = host.add("k.bin", 2000);
  const auto stubborn = files.path() / "d0";
  const auto silent = files.path() / "d1";
  std::filesystem::create_directories(stubborn);
  std::ofstream(stubborn / "VERSION") << "1.0.0\n";  // answers 1.0.0 before and after
  auto options = recorder_options();
  options.plugins_yaml =
      "{rec: {exec: \"" + kRecorder + "\", timeout_s: 20, version_timeout_s: 5, confirm_timeout_s: 1}}";
  CloudFixture cloud({device("sub-0000", stubborn, by_query(firmware_yaml(host, image, "2.0.0")), "keep_version: 1"),
                      // No VERSION at all: the plugin cannot tell, which counts as confirmed.
                      device("sub-0001", silent, by_query(firmware_yaml(host, image, "2.0.0")), "keep_version: 1")},
                     options);
  REQUIRE(cloud.run_once() == 6);
  const auto report = cloud.stop_sim_and_report();
  INFO(cloud.daemon_log());
  const auto& dev = device_in(report, "sub-0000");
  CHECK(steps_of(dev).back() == "-4");
  CHECK(dev.at("progress").back().at("desc") == "device runs 1.0.0 after flashing 2.0.0");
  for (const auto& version : informs_of(dev)) CHECK(version == "1.0.0");
  CHECK(lines_in(stubborn / "flashes") == 1);  // asked again, not flashed again
  const auto state = nlohmann::json::parse(read(cloud.dir() / "state" / "devices.json"));
  CHECK(state["devices"]["a1SubProd1.sub-0000"]["installed_versions"][""] == "1.0.0");
  CHECK_FALSE(std::filesystem::exists(cloud.dir() / "state" / "jobs" / "a1SubProd1.sub-0000" / "job.json"));
  CHECK(informs_of(device_in(report, "sub-0001")).back() == "2.0.0");
}

TEST_CASE("nothing is left under jobs/ and cache/ that no journal explains", "[integration][jobs]") {
  otagw::test_support::TempDir files("otagw-fw");
  CloudFixture cloud({device("sub-0000", files.path() / "d0", ""), device("sub-0001", files.path() / "d1", "")},
                     recorder_options());
  const auto state = cloud.dir() / "state";
  // A crash before the first journal save, a stray file, a cache of an
  // earlier pass, and a download whose offer was withdrawn while the daemon
  // was down.
  std::filesystem::create_directories(state / "jobs" / "a1SubProd1.ghost" / "image");
  std::ofstream(state / "jobs" / "a1SubProd1.ghost" / "image" / "image.bin") << "partial";
  std::ofstream(state / "jobs" / "stray") << "x";
  std::filesystem::create_directories(state / "cache");
  std::ofstream(state / "cache" / std::string(64, 'a')) << "old";
  const auto withdrawn = state / "jobs" / "a1SubProd1.sub-0000";
  std::filesystem::create_directories(withdrawn / "image");
  std::ofstream(withdrawn / "image" / "image.bin") << "half of 2.0.0";
  std::ofstream(withdrawn / "job.json") << nlohmann::json{
      {"version", 1}, {"device", "a1SubProd1.sub-0000"}, {"module", ""}, {"phase", "downloading"},
      {"target_version", "2.0.0"}, {"previous_version", "1.0.0"}, {"sign_method", "sha256"}, {"multi_file", false},
      {"files", {{{"name", "image.bin"}, {"url", "http://127.0.0.1:1/x"}, {"size", 100}, {"sign", std::string(64, 'b')}}}},
      {"ext_data", "{}"}, {"is_diff", false}, {"flash_attempts", 0}}.dump();
  // A journal that cannot be read is kept aside for a human.
  std::filesystem::create_directories(state / "jobs" / "a1SubProd1.broken");
  std::ofstream(state / "jobs" / "a1SubProd1.broken" / "job.json.broken") << "{";

  REQUIRE(cloud.run_once() == 0);
  INFO(cloud.daemon_log());
  std::vector<std::string> left;
  for (const auto& entry : std::filesystem::directory_iterator(state / "jobs")) {
    left.push_back(entry.path().filename().string());
  }
  // The version queries of both devices left no working directory either.
  CHECK(left == std::vector<std::string>{"a1SubProd1.broken"});
  CHECK_FALSE(std::filesystem::exists(state / "cache"));
  CHECK(cloud.daemon_log().find("no longer offers 2.0.0") != std::string::npos);
}

TEST_CASE("a target that failed 3 jobs in a row on a device is not tried again until the offer changes",
          "[integration][jobs]") {
  otagw::test_support::TempDir files("otagw-fw");
  FirmwareHost host(files.path());
  const auto image = host.add("s.bin", 2000);
  const auto stubborn = files.path() / "d0";
  std::filesystem::create_directories(stubborn);
  std::ofstream(stubborn / "VERSION") << "1.0.0\n";  // never takes the image
  auto options = recorder_options();
  options.plugins_yaml =
      "{rec: {exec: \"" + kRecorder + "\", timeout_s: 20, version_timeout_s: 5, confirm_timeout_s: 0}}";
  CloudFixture cloud({device("sub-0000", stubborn, by_query(firmware_yaml(host, image, "2.0.0")), "keep_version: 1")},
                     options);
  for (int run = 1; run <= 4; ++run) {
    INFO("run " << run << "\n" << cloud.daemon_log());
    REQUIRE(cloud.run_once() == 6);
    CHECK(lines_in(stubborn / "flashes") == static_cast<std::size_t>(std::min(run, 3)));
  }
  const auto report = cloud.stop_sim_and_report();
  const auto& last = device_in(report, "sub-0000").at("progress").back();
  CHECK(last.at("step") == "-1");
  CHECK_THAT(last.at("desc").get<std::string>(), Catch::Contains("failed 3 jobs in a row"));
  CHECK(host.requests(image) == 3);  // nor downloaded again
  const auto state = nlohmann::json::parse(read(cloud.dir() / "state" / "devices.json"));
  CHECK(state["devices"]["a1SubProd1.sub-0000"]["failed_targets"][""]["jobs"] == 3);
}

TEST_CASE("SIGTERM during a flash lets the plugin finish and report", "[integration][jobs]") {
  otagw::test_support::TempDir files("otagw-fw");
  FirmwareHost host(files.path());
  const auto image = host.add("j.bin", 10000);
  const auto target = files.path() / "dev0";
  CloudFixture cloud({device("sub-0000", target, by_query(firmware_yaml(host, image, "2.0.0")), "sleep_s: 1")},
                     recorder_options());
  auto& daemon = cloud.start_once();
  REQUIRE(daemon.wait_for_stderr("flashing 2.0.0", 20s));
  daemon.signal(SIGTERM);
  REQUIRE(daemon.wait(20s) == 0);
  const auto report = cloud.stop_sim_and_report();
  INFO(daemon.stderr_text());
  CHECK(informs_of(device_in(report, "sub-0000")).back() == "2.0.0");
  CHECK(read(target / "VERSION") == "2.0.0\n");
  CHECK(daemon.stderr_text().find("waiting for the running flash") != std::string::npos);
}

TEST_CASE("more devices than ota.max_online with jobs: a job keeps its device online past its window, within the "
          "limit",
          "[integration][jobs]") {
  otagw::test_support::TempDir files("otagw-fw");
  FirmwareHost host(files.path());
  const auto image = host.add("w.bin", 20000);
  std::vector<SimDevice> devices;
  for (int i = 0; i < 6; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "sub-%04d", i);
    // Every device on its own bus: the jobs run side by side and outlive
    // their windows (a flash takes a second, a window's visits much less).
    SimDevice d = device(name, files.path() / name, by_query(firmware_yaml(host, image, "2.0.0")), "sleep_s: 1");
    d.config_extra += ", bus: b" + std::to_string(i);
    devices.push_back(std::move(d));
  }
  CloudFixture cloud(devices, recorder_options("allow_http: true, download_retry_s: 0, max_online: 3"));
  REQUIRE(cloud.run_once() == 0);
  INFO(cloud.daemon_log());
  CHECK(cloud.daemon_log().find("6 job(s) installed, 0 job(s) failed") != std::string::npos);
  const auto report = cloud.stop_sim_and_report();
  // Never more sub-devices online than ota.max_online, jobs' devices included.
  CHECK(report.at("counters").at("peak_online").get<int>() <= 3);
  CHECK(report.at("counters").at("peak_online").get<int>() >= 2);
  for (int i = 0; i < 6; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "sub-%04d", i);
    INFO(name);
    const auto& dev = device_in(report, name);
    // The final inform reached the platform: the device was online for it.
    CHECK(informs_of(dev).back() == "2.0.0");
    CHECK(read(files.path() / name / "VERSION") == "2.0.0\n");
    CHECK(dev.at("online") == false);  // logged out once its job ended
  }
  CHECK(report.at("violations").empty());
  CHECK(check_one_channel_at_a_time(cloud.ota_subscription_events()).empty());
}
