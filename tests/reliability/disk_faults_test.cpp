// Disk faults under a real otagwd (issue 11, Deliver 5 and 6): a state_dir
// that fills up or turns read-only mid-job, by real mounts (a small tmpfs in a
// user+mount namespace of its own, see disk_plugin_support.hpp), at the points
// where the daemon writes: the download, the `verified` and `flashing` journal
// entries, devices.json after a flash. And state files found corrupted at
// start. The guarantee: the error is logged with the path and the errno text,
// the cloud gets the step of what could not go on, the daemon lives and the
// pass goes on, nothing is flashed that the journal does not record, and once
// the disk takes writes again the job completes.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "tests/reliability/disk_plugin_support.hpp"
#include "tests/subdev/cloud_fixture.hpp"
#include "tests/subdev/firmware_host.hpp"
#include "tests/subdev/job_report.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait_until.hpp"

using namespace otagw::sweep_test;
using namespace otagw::reliability;
using namespace std::chrono_literals;
using otagw::test_support::TempDir;
using otagw::test_support::wait_until;

namespace {

const std::string kKey0 = "a1SubProd1.sub-0000";
const std::string kKey1 = "a1SubProd1.sub-0001";

#define SKIP_WITHOUT_TMPFS(tmpfs)                                                                          \
  if (!(tmpfs).available()) {                                                                              \
    WARN("SKIPPED: cannot mount a tmpfs in a user+mount namespace here (unshare -rm): " << (tmpfs).why_not()); \
    return;                                                                                                \
  }

// The gated plugin (plugins/gated): flashes like the recorder; its Nth
// `version` call waits until the test says go.
CloudOptions gated_options() {
  CloudOptions options;
  // Queries answered after 3 s (by_slow_query) are waited for.
  // The runtime dir (visit markers, plugin-run records) off the small
  // tmpfs: files it adds or drops mid-fault would change the free space.
  options.ota_extra = "allow_http: true, download_retry_s: 0, query_timeout_s: 10, runtime_dir: run";
  options.plugins_yaml =
      "{gate: {exec: \"" + kReliabilityPlugins + "gated\", timeout_s: 20, version_timeout_s: 30, confirm_timeout_s: 5}}";
  return options;
}

SimDevice gated_device(const std::string& name, const std::filesystem::path& target, const std::string& scenario,
                       int gate_version = 0) {
  SimDevice d{name, scenario, {}, {}, "gate"};
  d.config_extra = "params: {target_dir: \"" + target.string() + "\"" +
                   (gate_version > 0 ? ", gate_version: " + std::to_string(gate_version) : std::string{}) + "}";
  return d;
}

// A scenario entry offering `firmware` on query, answered after `delay_ms`.
std::string by_slow_query(const std::string& firmware, int delay_ms) {
  return "modules: {default: {delay_ms: " + std::to_string(delay_ms) + ", " + firmware + "}}";
}

bool touch(const std::filesystem::path& path) { return static_cast<bool>(std::ofstream(path)); }

std::uint64_t size_of(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

// The journal otagwd writes (subdev/job_journal.cpp), for the served image.
nlohmann::json journal_for(const FirmwareHost& host, const FirmwareHost::Image& image, const std::string& device_key,
                           const std::string& phase, int flash_attempts) {
  return {{"version", 1},
          {"device", device_key},
          {"module", ""},
          {"phase", phase},
          {"target_version", "2.0.0"},
          {"previous_version", "1.0.0"},
          {"sign_method", "sha256"},
          {"multi_file", false},
          {"files", {{{"name", "image.bin"}, {"url", host.url(image)}, {"size", image.size}, {"sign", image.sha256}}}},
          {"ext_data", "{}"},
          {"is_diff", false},
          {"flash_attempts", flash_attempts}};
}

std::string random_bytes(std::size_t size, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(random() & 0xff);
  return bytes;
}

std::vector<std::string> entries(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// True once every thread of `pid` is stopped (SIGSTOP is delivered after
// kill() returns: a thread may still be writing).
bool all_threads_stopped(pid_t pid) {
  std::error_code ec;
  bool any = false;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    const std::string stat = read(task.path() / "stat");
    const auto state = stat.rfind(") ");
    if (state == std::string::npos || state + 2 >= stat.size()) return false;
    if (stat[state + 2] != 'T' && stat[state + 2] != 't') return false;
    any = true;
  }
  return any && !ec;
}

// A full or a read-only state_dir, made and undone while otagwd runs.
struct DiskFault {
  std::string name;
  std::string errno_text;
  bool read_only;
};
const DiskFault kFull{"full", "No space left on device", false};
const DiskFault kReadOnly{"read-only", "Read-only file system", true};

int make(const TmpfsState& tmpfs, const DiskFault& fault) {
  return fault.read_only ? tmpfs.make_read_only() : tmpfs.fill();
}
int undo(const TmpfsState& tmpfs, const DiskFault& fault) {
  if (fault.read_only) return tmpfs.make_writable();
  tmpfs.unfill();
  return 0;
}

// The first line of `log` that holds `needle` ("" when none).
std::string line_with(const std::string& log, const std::string& needle) {
  const auto at = log.find(needle);
  if (at == std::string::npos) return {};
  const auto begin = log.rfind('\n', at);
  const auto end = log.find('\n', at);
  return log.substr(begin == std::string::npos ? 0 : begin + 1, end == std::string::npos ? std::string::npos : end - begin - 1);
}

// The last progress message the platform got for a device with this step.
std::string desc_of_step(const nlohmann::json& device, const std::string& step) {
  std::string desc = "(no step " + step + ")";
  for (const auto& p : device.at("progress")) {
    if (p.at("step") == step) desc = p.at("desc").get<std::string>();
  }
  return desc;
}

}  // namespace

TEST_CASE("a package larger than the state file system: -2 at once, nothing downloaded, the pass goes on, the job "
          "completes once space returns",
          "[reliability][disk]") {
  TempDir files("otagw-disk");
  FirmwareHost host(files.path());
  const auto big = host.add("big.bin", 400000);
  const auto small = host.add("small.bin", 20000);
  const auto t0 = files.path() / "d0";
  const auto t1 = files.path() / "d1";
  CloudFixture cloud({gated_device("sub-0000", t0, by_query(firmware_yaml(host, big, "2.0.0"))),
                      gated_device("sub-0001", t1, by_query(firmware_yaml(host, small, "2.0.0")))},
                     gated_options());
  const auto state = cloud.dir() / "state";
  // Smaller than the image: the job's claim for staging room can never be
  // met, so nothing is downloaded into it.
  TmpfsState tmpfs(state, "256k");
  SKIP_WITHOUT_TMPFS(tmpfs);

  auto first = start_otagwd_inside(tmpfs, cloud);
  const auto status = first->wait(60s);
  const std::string log = first->stderr_text();
  INFO(log);
  CHECK(status == 6);  // lived to the end of the pass; a job failed
  const auto staging = state / "jobs" / kKey0 / "image" / "image.bin";
  CHECK(line_with(log, "can never fit").find("sub-0000") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(staging));
  CHECK(host.requests(big) == 0);
  CHECK_FALSE(std::filesystem::exists(t0 / "flashes"));
  CHECK(read(t1 / "VERSION") == "2.0.0\n");  // the next device was upgraded in the same pass
  // The failed job's bytes went with it: the space is back for what follows.
  CHECK(entries(tmpfs.seen(state / "jobs")).empty());

  // More space: the next start completes the job.
  REQUIRE(tmpfs.resize("2m") == 0);
  auto second = start_otagwd_inside(tmpfs, cloud);
  CHECK(second->wait(60s) == 0);
  const auto report = cloud.stop_sim_and_report();
  INFO(second->stderr_text());
  const auto& dev = device_in(report, "sub-0000");
  const std::string desc = desc_of_step(dev, "-2");
  CHECK(desc.find("can never fit") != std::string::npos);
  CHECK(desc.find(state.string()) == std::string::npos);  // the cloud gets no local path
  CHECK(informs_of(dev).back() == "2.0.0");
  CHECK(lines_in(t0 / "flashes") == 1);
  CHECK(read(t0 / "image") == read(big.file));
  CHECK(entries(tmpfs.seen(state / "jobs")).empty());
}

TEST_CASE("disk full when the verified journal entry is written: -4 logged with the journal's path and errno, never "
          "flashed, the pass goes on, the next start completes the job",
          "[reliability][disk]") {
  TempDir files("otagw-disk");
  FirmwareHost host(files.path());
  otagw::cloudsim::FaultSpec slow;
  slow.rate_bytes_per_s = 300000;  // 600 kB take 2 s: time to stop otagwd mid-way
  const auto big = host.add("big.bin", 600000, slow);
  const auto small = host.add("small.bin", 20000);
  const auto t0 = files.path() / "d0";
  const auto t1 = files.path() / "d1";
  // The next device's offer comes 3 s after its query: the space returns
  // before its job starts.
  CloudFixture cloud({gated_device("sub-0000", t0, by_query(firmware_yaml(host, big, "2.0.0"))),
                      gated_device("sub-0001", t1, by_slow_query(firmware_yaml(host, small, "2.0.0"), 3000))},
                     gated_options());
  const auto state = cloud.dir() / "state";
  TmpfsState tmpfs(state, "4m");
  SKIP_WITHOUT_TMPFS(tmpfs);

  auto daemon = start_otagwd_inside(tmpfs, cloud);
  const auto staging = tmpfs.seen(state / "jobs" / kKey0 / "image" / "image.bin");
  REQUIRE(wait_until([&] { return size_of(staging) >= 60000; }, 30s));
  // Stopped mid-download, the disk is filled up to exactly the pages the rest
  // of the image needs: the download completes, the next journal entry (a
  // new file beside the old, renamed over it) finds no page.
  daemon->signal(SIGSTOP);
  REQUIRE(wait_until([&] { return all_threads_stopped(daemon->pid()); }, 10s));
  struct stat staged {};
  REQUIRE(::stat(staging.c_str(), &staged) == 0);
  REQUIRE(static_cast<std::uint64_t>(staged.st_size) < big.size);
  const std::uint64_t block = tmpfs.block_size();
  const std::uint64_t need = (big.size + block - 1) / block * block - static_cast<std::uint64_t>(staged.st_blocks) * 512;
  REQUIRE(tmpfs.fill_leaving(need) == 0);
  CHECK(tmpfs.free_bytes() == need);
  daemon->signal(SIGCONT);

  REQUIRE(daemon->wait_for_stderr("cannot write the job journal", 30s));
  tmpfs.unfill();  // space returns
  const auto status = daemon->wait(60s);
  const std::string log = daemon->stderr_text();
  INFO(log);
  CHECK(status == 6);
  CHECK(size_of(staging) == 0);  // the job's files went with it
  CHECK(log.find("cannot write the job journal " + (state / "jobs" / kKey0 / "job.json").string() +
                 " (phase verified): No space left on device") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(t0 / "flashes"));  // no flash without the `verified` entry
  CHECK(read(t1 / "VERSION") == "2.0.0\n");

  host.set_faults(big.url_path, {});
  auto second = start_otagwd_inside(tmpfs, cloud);
  CHECK(second->wait(60s) == 0);
  const auto report = cloud.stop_sim_and_report();
  INFO(second->stderr_text());
  const auto& dev = device_in(report, "sub-0000");
  CHECK(desc_of_step(dev, "-4") == "gateway cannot write its state: No space left on device");
  CHECK(informs_of(dev).back() == "2.0.0");
  CHECK(lines_in(t0 / "flashes") == 1);
  CHECK(read(t0 / "image") == read(big.file));
  CHECK(entries(tmpfs.seen(state / "jobs")).empty());
}

TEST_CASE("a full or read-only state_dir when the flashing journal entry is written: -4 logged with the journal's "
          "path and errno, not flashed until the disk takes writes again",
          "[reliability][disk]") {
  const DiskFault fault = GENERATE(kFull, kReadOnly);
  INFO("state_dir " << fault.name);
  TempDir files("otagw-disk");
  FirmwareHost host(files.path());
  const auto image = host.add("img.bin", 30000);
  const auto small = host.add("small.bin", 20000);
  const auto t0 = files.path() / "d0";
  const auto t1 = files.path() / "d1";
  std::filesystem::create_directories(t0);
  std::ofstream(t0 / "VERSION") << "1.0.0\n";  // the crash came before the device took the image
  // sub-0000's offer comes 3 s after its query: the disk is writable again
  // before the fresh job of the same visit starts.
  CloudFixture cloud({gated_device("sub-0000", t0, by_slow_query(firmware_yaml(host, image, "2.0.0"), 3000), 1),
                      gated_device("sub-0001", t1, by_query(firmware_yaml(host, small, "2.0.0")))},
                     gated_options());
  const auto state = cloud.dir() / "state";
  TmpfsState tmpfs(state, "2m");
  SKIP_WITHOUT_TMPFS(tmpfs);
  // A job interrupted mid-flash by a crash: the resumed job asks the device
  // (the gate), then writes the `flashing` entry of its next attempt.
  const auto job_dir = state / "jobs" / kKey0;
  std::filesystem::create_directories(tmpfs.seen(job_dir / "image"));
  std::filesystem::copy_file(image.file, tmpfs.seen(job_dir / "image" / "image.bin"));
  std::ofstream(tmpfs.seen(job_dir / "job.json")) << journal_for(host, image, kKey0, "flashing", 1).dump();

  auto daemon = start_otagwd_inside(tmpfs, cloud);
  REQUIRE(wait_until([&] { return std::filesystem::exists(t0 / "at-gate"); }, 30s));
  REQUIRE(make(tmpfs, fault) == 0);
  REQUIRE(touch(t0 / "go"));
  REQUIRE(daemon->wait_for_stderr("cannot write the job journal", 30s));
  CHECK_FALSE(std::filesystem::exists(t0 / "flashes"));  // not flashed without its journal entry
  REQUIRE(undo(tmpfs, fault) == 0);

  const auto status = daemon->wait(60s);
  const std::string log = daemon->stderr_text();
  INFO(log);
  CHECK(status == 6);  // the resumed job failed (-4); the same visit's fresh job installed it
  CHECK(log.find("cannot write the job journal " + (job_dir / "job.json").string() +
                 " (phase flashing): " + fault.errno_text) != std::string::npos);
  const auto report = cloud.stop_sim_and_report();
  const auto& dev = device_in(report, "sub-0000");
  CHECK(desc_of_step(dev, "-4") == "gateway cannot write its state: " + fault.errno_text);
  CHECK(steps_of(dev).back() == "100");
  CHECK(informs_of(dev).back() == "2.0.0");
  CHECK(lines_in(t0 / "flashes") == 1);
  CHECK(read(t0 / "images") == image.sha256 + "\n");
  CHECK(read(t1 / "VERSION") == "2.0.0\n");
  CHECK(entries(tmpfs.seen(state / "jobs")).empty());
}

TEST_CASE("a resumed job whose flashing entry cannot be written counts as failed (--once exits 6) and the next start "
          "completes it",
          "[reliability][disk]") {
  TempDir files("otagw-disk");
  FirmwareHost host(files.path());
  const auto image = host.add("img.bin", 30000);
  const auto t0 = files.path() / "d0";
  std::filesystem::create_directories(t0);
  std::ofstream(t0 / "VERSION") << "1.0.0\n";
  // The cloud no longer offers anything: only the resumed job tells.
  CloudFixture cloud({gated_device("sub-0000", t0, "", 1)}, gated_options());
  const auto state = cloud.dir() / "state";
  TmpfsState tmpfs(state, "2m");
  SKIP_WITHOUT_TMPFS(tmpfs);
  const auto job_dir = state / "jobs" / kKey0;
  std::filesystem::create_directories(tmpfs.seen(job_dir / "image"));
  std::filesystem::copy_file(image.file, tmpfs.seen(job_dir / "image" / "image.bin"));
  std::ofstream(tmpfs.seen(job_dir / "job.json")) << journal_for(host, image, kKey0, "flashing", 1).dump();

  auto daemon = start_otagwd_inside(tmpfs, cloud);
  REQUIRE(wait_until([&] { return std::filesystem::exists(t0 / "at-gate"); }, 30s));
  REQUIRE(tmpfs.make_read_only() == 0);
  REQUIRE(touch(t0 / "go"));
  REQUIRE(daemon->wait_for_stderr("cannot write the job journal", 30s));
  REQUIRE(tmpfs.make_writable() == 0);
  const auto status = daemon->wait(60s);
  const std::string log = daemon->stderr_text();
  INFO(log);
  CHECK(status == 6);
  CHECK(log.find("0 job(s) installed, 1 job(s) failed") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(t0 / "flashes"));

  // The journal outlived the failure (it could not be removed): the next
  // start resumes the job on a writable disk and completes it.
  auto second = start_otagwd_inside(tmpfs, cloud);
  CHECK(second->wait(60s) == 0);
  INFO(second->stderr_text());
  const auto report = cloud.stop_sim_and_report();
  const auto& dev = device_in(report, "sub-0000");
  CHECK(desc_of_step(dev, "-4") == "gateway cannot write its state: Read-only file system");
  CHECK(informs_of(dev).back() == "2.0.0");
  CHECK(lines_in(t0 / "flashes") == 1);
  CHECK(read(t0 / "images") == image.sha256 + "\n");
  CHECK(entries(tmpfs.seen(state / "jobs")).empty());
}

TEST_CASE("a full or read-only state_dir when devices.json is saved after a flash: logged with the path and errno, "
          "the job stays journaled and the next start ends it without flashing again",
          "[reliability][disk]") {
  const DiskFault fault = GENERATE(kFull, kReadOnly);
  INFO("state_dir " << fault.name);
  TempDir files("otagw-disk");
  FirmwareHost host(files.path());
  const auto image = host.add("img.bin", 30000);
  const auto small = host.add("small.bin", 20000);
  const auto t0 = files.path() / "d0";
  const auto t1 = files.path() / "d1";
  // sub-0000's 2nd `version` call is the confirmation after the flash: the
  // state is saved right after it.
  CloudFixture cloud({gated_device("sub-0000", t0, by_query(firmware_yaml(host, image, "2.0.0")), 2),
                      gated_device("sub-0001", t1, by_slow_query(firmware_yaml(host, small, "2.0.0"), 3000))},
                     gated_options());
  const auto state = cloud.dir() / "state";
  TmpfsState tmpfs(state, "2m");
  SKIP_WITHOUT_TMPFS(tmpfs);

  auto daemon = start_otagwd_inside(tmpfs, cloud);
  REQUIRE(wait_until([&] { return std::filesystem::exists(t0 / "at-gate"); }, 30s));
  REQUIRE(lines_in(t0 / "completed") == 1);
  REQUIRE(make(tmpfs, fault) == 0);
  REQUIRE(touch(t0 / "go"));
  REQUIRE(daemon->wait_for_stderr("cannot save device state", 30s));
  REQUIRE(undo(tmpfs, fault) == 0);
  const auto status = daemon->wait(60s);
  const std::string log = daemon->stderr_text();
  INFO(log);
  CHECK(status == 0);
  CHECK(log.find("cannot save device state to " + (state / "devices.json").string() + ": " + fault.errno_text) !=
        std::string::npos);
  // The journal is the only record of the flash until the state is saved.
  CHECK(std::filesystem::exists(tmpfs.seen(state / "jobs" / kKey0 / "job.json")));
  CHECK(read(t1 / "VERSION") == "2.0.0\n");

  auto second = start_otagwd_inside(tmpfs, cloud);
  CHECK(second->wait(60s) == 0);
  const std::string second_log = second->stderr_text();
  INFO(second_log);
  CHECK(second_log.find("already at 2.0.0") != std::string::npos);
  const auto report = cloud.stop_sim_and_report();
  const auto& dev = device_in(report, "sub-0000");
  for (const auto& step : steps_of(dev)) CHECK(std::stoi(step) > 0);
  CHECK(informs_of(dev).back() == "2.0.0");
  CHECK(lines_in(t0 / "flashes") == 1);  // never a second flash of a device at the target
  const auto saved = nlohmann::json::parse(read(tmpfs.seen(state / "devices.json")));
  CHECK(saved["devices"][kKey0]["installed_versions"][""] == "2.0.0");
  CHECK(entries(tmpfs.seen(state / "jobs")).empty());
}

// Corrupted state at start: no tmpfs needed.

TEST_CASE("a corrupted devices.json is kept as devices.json.broken, the pass completes, no device at the target is "
          "flashed again",
          "[reliability][disk][state]") {
  const std::string good = nlohmann::json{{"version", 1},
                                          {"devices",
                                           {{kKey0,
                                             {{"topology_added", true},
                                              {"installed_versions", {{"", "1.0.0"}}},
                                              {"last_check_ms", 1},
                                              {"last_result", "ok"},
                                              {"failed_targets", nlohmann::json::object()}}}}}}
                               .dump(1);
  const auto [what, contents] = GENERATE_COPY(
      std::make_pair(std::string("truncated"), good.substr(0, good.size() / 2)),
      std::make_pair(std::string("garbage"), random_bytes(4096, 11)),
      std::make_pair(std::string("wrong types"),
                     std::string(R"({"version": 1, "devices": {"a1SubProd1.sub-0000": {"topology_added": "yes", )"
                                 R"("installed_versions": {"": 2}, "failed_targets": {"": {"version": "2.0.0", "jobs": "3"}}}}})")),
      std::make_pair(std::string("a format version it does not know"),
                     std::string(R"({"version": "1", "devices": []})")));
  INFO(what);
  TempDir files("otagw-disk");
  FirmwareHost host(files.path());
  const auto image = host.add("img.bin", 20000);
  const auto t0 = files.path() / "d0";
  const auto t1 = files.path() / "d1";
  std::filesystem::create_directories(t1);
  std::ofstream(t1 / "VERSION") << "2.0.0\n";  // already runs the target
  CloudFixture cloud({device("sub-0000", t0, by_query(firmware_yaml(host, image, "2.0.0"))),
                      device("sub-0001", t1, by_query(firmware_yaml(host, image, "2.0.0")))},
                     recorder_options());
  const auto state = cloud.dir() / "state";
  std::filesystem::create_directories(state);
  std::ofstream(state / "devices.json", std::ios::binary) << contents;

  CHECK(cloud.run_once() == 0);
  const std::string log = cloud.daemon_log();
  INFO(log);
  CHECK(log.find((state / "devices.json").string() + " is unreadable") != std::string::npos);
  CHECK(read(state / "devices.json.broken") == contents);
  const auto saved = nlohmann::json::parse(read(state / "devices.json"));
  CHECK(saved["devices"][kKey0]["installed_versions"][""] == "2.0.0");
  CHECK(saved["devices"][kKey1]["installed_versions"][""] == "2.0.0");
  CHECK(lines_in(t0 / "flashes") == 1);
  CHECK_FALSE(std::filesystem::exists(t1 / "flashes"));
  const auto report = cloud.stop_sim_and_report();
  CHECK(informs_of(device_in(report, "sub-0000")).back() == "2.0.0");
  CHECK(informs_of(device_in(report, "sub-0001")).back() == "2.0.0");
}

TEST_CASE("an unreadable job.json is kept as job.json.broken, the pass completes, its staged bytes are never "
          "flashed",
          "[reliability][disk][state]") {
  TempDir files("otagw-disk");
  FirmwareHost host(files.path());
  const auto image = host.add("img.bin", 30000);
  std::string valid;
  {
    // What otagwd would have written, for the truncated variant.
    TempDir scratch("otagw-disk");
    FirmwareHost other(scratch.path());
    valid = journal_for(other, other.add("img.bin", 30000), kKey0, "verified", 0).dump(1);
  }
  auto with = [&valid](const std::string& key, const nlohmann::json& value) {
    auto j = nlohmann::json::parse(valid);
    j[key] = value;
    return j.dump(1);
  };
  const auto [what, journal] = GENERATE_COPY(
      std::make_pair(std::string("garbage"), random_bytes(2000, 12)),
      std::make_pair(std::string("truncated"), valid.substr(0, valid.size() * 2 / 3)),
      std::make_pair(std::string("a phase it does not know"), with("phase", "erasing")),
      std::make_pair(std::string("wrong types"), with("flash_attempts", "one")),
      std::make_pair(std::string("another device's"), with("device", "a1SubProd1.sub-0009")));
  INFO(what);
  const auto t0 = files.path() / "d0";
  const auto t1 = files.path() / "d1";
  // sub-0000 is offered 2.0.0; sub-0001 is up to date. Both have a journal
  // that cannot be read beside a staged image of the right size whose bytes
  // no journal vouches for.
  CloudFixture cloud({device("sub-0000", t0, by_query(firmware_yaml(host, image, "2.0.0"))),
                      device("sub-0001", t1, "")},
                     recorder_options());
  const auto state = cloud.dir() / "state";
  for (const auto& key : {kKey0, kKey1}) {
    std::filesystem::create_directories(state / "jobs" / key / "image");
    std::ofstream(state / "jobs" / key / "image" / "image.bin", std::ios::binary) << random_bytes(30000, 13);
    std::ofstream(state / "jobs" / key / "job.json", std::ios::binary) << journal;
  }

  CHECK(cloud.run_once() == 0);
  const std::string log = cloud.daemon_log();
  INFO(log);
  CHECK(log.find("sub-device " + kKey0 + ": job journal unreadable") != std::string::npos);
  CHECK(log.find("sub-device " + kKey1 + ": job journal unreadable") != std::string::npos);
  // Flashed once, with the served image only.
  CHECK(lines_in(t0 / "flashes") == 1);
  CHECK(read(t0 / "images") == image.sha256 + "\n");
  CHECK_FALSE(std::filesystem::exists(t1 / "flashes"));
  // Kept for a human.
  CHECK(read(state / "jobs" / kKey1 / "job.json.broken") == journal);
  CHECK_FALSE(std::filesystem::exists(state / "jobs" / kKey1 / "job.json"));
  const auto report = cloud.stop_sim_and_report();
  const auto& dev = device_in(report, "sub-0000");
  for (const auto& step : steps_of(dev)) CHECK(std::stoi(step) > 0);
  CHECK(informs_of(dev).back() == "2.0.0");
}

TEST_CASE("a staged image longer than the journal says is never flashed: the job downloads afresh and completes",
          "[reliability][disk][state]") {
  TempDir files("otagw-disk");
  FirmwareHost host(files.path());
  const auto image = host.add("img.bin", 30000);
  const auto phase = GENERATE(as<std::string>{}, "downloading", "verified", "flashing");
  INFO("journaled phase " << phase);
  const auto t0 = files.path() / "d0";
  std::filesystem::create_directories(t0);
  std::ofstream(t0 / "VERSION") << "1.0.0\n";
  CloudFixture cloud({device("sub-0000", t0, by_query(firmware_yaml(host, image, "2.0.0")))}, recorder_options());
  const auto job_dir = cloud.dir() / "state" / "jobs" / kKey0;
  std::filesystem::create_directories(job_dir / "image");
  // The right bytes, and more after them.
  std::filesystem::copy_file(image.file, job_dir / "image" / "image.bin");
  std::ofstream(job_dir / "image" / "image.bin", std::ios::binary | std::ios::app) << random_bytes(5000, 14);
  std::ofstream(job_dir / "job.json") << journal_for(host, image, kKey0, phase, phase == "flashing" ? 1 : 0).dump(1);

  // A kept image (verified, flashing) that fails its check ends the resumed
  // job with -3 before the fresh one: both count, so --once exits 6. A
  // download just starts again.
  CHECK(cloud.run_once() == (phase == "downloading" ? 0 : 6));
  const std::string log = cloud.daemon_log();
  INFO(log);
  CHECK(lines_in(t0 / "flashes") == 1);
  CHECK(read(t0 / "images") == image.sha256 + "\n");  // never the longer bytes
  CHECK(read(t0 / "image") == read(image.file));
  const auto report = cloud.stop_sim_and_report();
  CHECK(informs_of(device_in(report, "sub-0000")).back() == "2.0.0");
  CHECK(entries(cloud.dir() / "state" / "jobs").empty());
}
