// Plugins orphaned by a killed daemon (issue 11, fault 6), outside systemd:
// otagwd as a process, killed -9 while a plugin flashes. The plugin's own
// process dies with the daemon (PR_SET_PDEATHSIG); what it started in its
// process group lives on until the restarted daemon, which recorded the run
// in runtime_dir/plugin-runs, ends it before it flashes that device again.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tests/subdev/cloud_fixture.hpp"
#include "tests/subdev/firmware_host.hpp"
#include "tests/subdev/job_report.hpp"
#include "tests/support/wait_until.hpp"

using namespace otagw::sweep_test;
using namespace std::chrono_literals;

namespace {

const std::string kLingeringWorker = std::string(OTAGW_SOURCE_DIR) + "/tests/reliability/plugins/lingering_worker";

// Running, not a zombie waiting for whoever adopted it.
bool alive(pid_t pid) {
  const std::string stat = read("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return false;
  const char state = stat[close + 2];
  return state != 'Z' && state != 'X';
}

pid_t pid_in(const std::filesystem::path& file) { return static_cast<pid_t>(std::stol(read(file))); }

std::size_t files_in(const std::filesystem::path& dir) {
  std::error_code ec;
  std::size_t count = 0;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    ++count;
  }
  return count;
}

CloudOptions lingering_options() {
  CloudOptions options;
  options.ota_extra = "allow_http: true, download_retry_s: 0";
  options.plugins_yaml = "{linger: {exec: \"" + kLingeringWorker + "\", timeout_s: 90, version_timeout_s: 5}}";
  return options;
}

SimDevice lingering_device(const std::string& name, const std::filesystem::path& target, const std::string& scenario) {
  SimDevice d{name, scenario, {}, {}, "linger"};
  d.config_extra = "params: {target_dir: \"" + target.string() + "\"}";
  return d;
}

// A process of the test's own, in a group of its own, that nothing may kill.
class Bystander {
 public:
  Bystander() {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::execl("/bin/sleep", "sleep", "60", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::setpgid(pid_, pid_);
  }
  ~Bystander() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  Bystander(const Bystander&) = delete;
  Bystander& operator=(const Bystander&) = delete;
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_;
};

std::uint64_t start_ticks_of(pid_t pid) {
  const std::string stat = read("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  for (int i = 3; i <= 22; ++i) fields >> field;  // field 22: starttime
  return std::stoull(field);
}

std::string boot_id() {
  auto id = read("/proc/sys/kernel/random/boot_id");
  while (!id.empty() && id.back() == '\n') id.pop_back();
  return id;
}

void write_record(const std::filesystem::path& dir, pid_t pgid, std::uint64_t start_ticks, const std::string& boot) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / (std::to_string(pgid) + ".json"))
      << R"({"device":"a1SubProd1.sub-0000","command":"flash","pgid":)" << pgid << R"(,"start_ticks":)"
      << start_ticks << R"(,"boot_id":")" << boot << R"("})";
}

}  // namespace

TEST_CASE("a plugin orphaned by a killed daemon is ended before its device is flashed again", "[reliability]") {
  otagw::test_support::TempDir files("otagw-orphan");
  FirmwareHost host(files.path());
  const auto image = host.add("o.bin", 20000);
  const auto target = files.path() / "dev0";
  CloudFixture cloud({lingering_device("sub-0000", target, by_query(firmware_yaml(host, image, "2.0.0")))},
                     lingering_options());
  auto& first = cloud.start_once();
  REQUIRE(otagw::test_support::wait_until([&] { return std::filesystem::exists(target / "worker.pid"); }, 20s));
  REQUIRE(otagw::test_support::wait_until([&] { return std::filesystem::exists(target / "worker"); }, 5s));
  const pid_t plugin = pid_in(target / "first_flash.pid");
  const pid_t worker = pid_in(target / "worker.pid");
  REQUIRE(alive(plugin));
  const auto runs = cloud.dir() / "state" / "run" / "plugin-runs";  // ota.runtime_dir's default outside systemd
  CHECK(files_in(runs) == 1);  // the flash is recorded while it runs
  cloud.kill_daemon();
  INFO(first.stderr_text());

  // The plugin's own process dies with the daemon (it would sleep 60 s)...
  CHECK(otagw::test_support::wait_until([plugin] { return !alive(plugin); }, 5s));
  // ...but its worker, in the same process group, goes on.
  REQUIRE(alive(worker));

  REQUIRE(cloud.run_once() == 0);
  INFO(cloud.daemon_log());
  CHECK_FALSE(alive(worker));
  // The flash of the restarted daemon began after the worker was gone.
  CHECK(read(target / "worker_at_later_flash") == "gone\n");
  CHECK(cloud.daemon_log().find("process(es) left of a plugin 'flash' run by an earlier daemon") !=
        std::string::npos);
  CHECK(read(target / "VERSION") == "2.0.0\n");
  CHECK(files_in(runs) == 0);  // every record went with its run
  const auto report = cloud.stop_sim_and_report();
  CHECK(informs_of(device_in(report, "sub-0000")).back() == "2.0.0");
}

TEST_CASE("a plugin-run record naming another process, another boot or garbage ends nothing", "[reliability]") {
  otagw::test_support::TempDir files("otagw-orphan");
  const auto target = files.path() / "dev0";
  CloudFixture cloud({lingering_device("sub-0000", target, "")}, lingering_options());
  const auto runs = cloud.dir() / "state" / "run" / "plugin-runs";
  // A pid reused by a process that is not the recorded one (its start time
  // differs), a record of an earlier boot, and a file that is no record.
  Bystander reused_pid, earlier_boot;
  write_record(runs, reused_pid.pid(), start_ticks_of(reused_pid.pid()) - 1, boot_id());
  write_record(runs, earlier_boot.pid(), start_ticks_of(earlier_boot.pid()), "00000000-0000-0000-0000-000000000000");
  std::ofstream(runs / "1.json") << R"({"device":"x","command":"flash","pgid":1,"start_ticks":0,"boot_id":")"
                                 << boot_id() << "\"}";
  std::ofstream(runs / "garbage.json") << "{not json";

  REQUIRE(cloud.run_once() == 0);
  INFO(cloud.daemon_log());
  CHECK(alive(reused_pid.pid()));
  CHECK(alive(earlier_boot.pid()));
  CHECK(cloud.daemon_log().find("process(es) left of a plugin") == std::string::npos);
  CHECK(files_in(runs) == 0);  // read once, then gone
}
