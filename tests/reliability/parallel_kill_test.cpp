// kill -9 with three jobs in flight on three buses (issue 14, Deliver 7):
// every guarantee of the crash-safety issue (tests/reliability/
// kill_points_test.cpp) holds with jobs in parallel. Three sub-devices on
// three buses flash at once (the recorder sleeps 3 s in each flash); otagwd is
// killed with -9 once all three have started. The plugins die with it
// (PR_SET_PDEATHSIG), so no device took its image. The next `otagwd --once`
// resumes every interrupted job (the three at once again, ending together),
// and then:
//   - every image the plugin was handed is the offered one;
//   - each device flashed to completion exactly once: re-flashed where the
//     kill cut its flash (the journal says `flashing`, the device does not
//     run the target), never flashed again where it does;
//   - the target reported on inform last, nothing older after it, the target
//     in devices.json; nothing left under state/jobs or state/cache.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/subdev/cloud_fixture.hpp"
#include "tests/subdev/firmware_host.hpp"
#include "tests/subdev/job_report.hpp"
#include "tests/support/wait_until.hpp"

using namespace otagw::sweep_test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using otagw::test_support::wait_until;

namespace {

const std::string kTarget = "2.0.0";

struct Device {
  std::string name;
  std::string key;
  fs::path target;  // the recorder's target_dir
  FirmwareHost::Image image;
};

std::vector<std::string> lines_of(const fs::path& path) {
  std::vector<std::string> lines;
  std::istringstream in(read(path));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
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

std::string state_version(const fs::path& state, const std::string& key) {
  try {
    const auto json = nlohmann::json::parse(read(state / "devices.json"));
    return json.at("devices").at(key).at("installed_versions").at("").get<std::string>();
  } catch (const std::exception&) {
    return "(none)";
  }
}

// Processes whose working directory is `dir` (a plugin run's, and its children's).
std::vector<pid_t> processes_in(const fs::path& dir) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code gone;
    if (fs::read_symlink(entry.path() / "cwd", gone) == dir) found.push_back(std::stoi(name));
  }
  return found;
}

bool at_target(const Device& d) { return read(d.target / "VERSION") == kTarget + "\n"; }

}  // namespace

TEST_CASE("kill -9 with three jobs flashing on three buses: the restart resumes all three, each ends at the target",
          "[reliability][kill][campaign]") {
  otagw::test_support::TempDir files("otagw-parallel-kill");
  FirmwareHost host(files.path());
  std::vector<Device> devices;
  std::vector<SimDevice> sims;
  for (int i = 0; i < 3; ++i) {
    const std::string name = "sub-000" + std::to_string(i);
    Device d{name, std::string(kSubProduct) + "." + name, files.path() / ("d" + std::to_string(i)),
             host.add("p" + std::to_string(i) + ".bin", 100000)};
    SimDevice sim = device(name, d.target, by_query(firmware_yaml(host, d.image, kTarget)), "sleep_s: 3");
    sim.config_extra += ", bus: bus" + std::to_string(i);
    sims.push_back(sim);
    devices.push_back(d);
  }
  CloudFixture cloud(sims, recorder_options("allow_http: true, download_retry_s: 30"));
  const fs::path state = cloud.dir() / "state";

  auto& first = cloud.start_once();
  const bool all_flashing = wait_until(
      [&devices] {
        return std::all_of(devices.begin(), devices.end(),
                           [](const Device& d) { return lines_in(d.target / "flashes") == 1; });
      },
      30s, 5ms);
  INFO(first.stderr_text());
  REQUIRE(all_flashing);
  // All three are in their flash at once (each takes 3 s): on three buses.
  for (const Device& d : devices) CHECK(lines_in(d.target / "completed") == 0);
  cloud.kill_daemon();
  std::string logs = "---- otagwd killed with three flashes running\n" + first.stderr_text();

  std::map<std::string, std::string> phase_at_kill;
  for (const Device& d : devices) phase_at_kill[d.name] = journal_phase(state, d.key);
  // What the kill left running in the job directories ends (the recorders'
  // sleeps end by themselves; their shells died with the daemon).
  for (const Device& d : devices) {
    const fs::path dir = fs::canonical(state) / "jobs" / d.key;
    REQUIRE(wait_until([&dir] { return processes_in(dir).empty(); }, 20s));
  }
  std::map<std::string, bool> at_target_before;
  for (const Device& d : devices) {
    at_target_before[d.name] = at_target(d);
    INFO(d.name);
    CHECK(phase_at_kill[d.name] == "flashing");
  }

  const int exit = cloud.run_once();
  logs += "---- the restarted otagwd\n" + cloud.daemon_log();
  INFO(logs);
  REQUIRE(exit == 0);
  const std::string& restart_log = cloud.daemon_log();
  CHECK(restart_log.find("3 job(s) installed, 0 job(s) failed") != std::string::npos);

  const auto report = cloud.stop_sim_and_report();
  for (const Device& d : devices) {
    INFO("device " << d.name << (at_target_before[d.name] ? " (at the target before the restart)" : ""));
    CHECK(restart_log.find("sub-device a1SubProd1/" + d.name + ": resuming the job for " + kTarget +
                           " interrupted in phase flashing") != std::string::npos);
    // Every image the plugin was handed is the offered one.
    const auto handed = lines_of(d.target / "images");
    REQUIRE_FALSE(handed.empty());
    CHECK(handed == std::vector<std::string>(handed.size(), d.image.sha256));
    CHECK(read(d.target / "image") == read(d.image.file));
    // Flashed to completion exactly once; flashed again only where the kill
    // cut the flash before the device took it.
    CHECK(lines_in(d.target / "completed") == 1);
    CHECK(lines_in(d.target / "flashes") == (at_target_before[d.name] ? 1u : 2u));
    CHECK(at_target(d));
    // Not downloaded again: the verified image was journaled.
    CHECK(host.requests(d.image) == 1);
    // The target reported last, nothing older after it; no failure step.
    const auto& seen = device_in(report, d.name);
    for (const auto& step : steps_of(seen)) CHECK_FALSE(step.starts_with("-"));
    const auto informs = informs_of(seen);
    REQUIRE_FALSE(informs.empty());
    CHECK(informs.back() == kTarget);
    const auto first_target = std::find(informs.begin(), informs.end(), kTarget);
    CHECK(std::count(first_target, informs.end(), kTarget) == std::distance(first_target, informs.end()));
    CHECK(state_version(state, d.key) == kTarget);
  }
  // Nothing left of the jobs.
  std::vector<std::string> left;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(state / "jobs", ec)) left.push_back(entry.path().filename().string());
  CHECK(left.empty());
  CHECK_FALSE(fs::exists(state / "cache"));
  CHECK(check_one_channel_at_a_time(cloud.ota_subscription_events()).empty());
}
