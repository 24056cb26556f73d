// The reliability suite, HTTP faults (issue 11, Deliver 6): otagwd --once as
// a process against the real otagw-cloudsim and mosquitto, images served by
// the cloudsim firmware server with FaultSpec faults: drops at 50 offsets,
// stalls past the low-speed limit, a 200 to a Range, lengths unlike the
// offer, redirect loops. Every case checks the device's view (the recorder
// plugin's files), the platform's (the simulator's report), the server's
// (requests and their Range headers), state_dir/jobs and the exit code, and
// that a second device in the same pass is still upgraded.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/subdev/cloud_fixture.hpp"
#include "tests/subdev/firmware_host.hpp"
#include "tests/subdev/job_report.hpp"

using namespace otagw::sweep_test;
using namespace std::chrono_literals;
using otagw::cloudsim::FaultSpec;

namespace {

// What is left under state_dir/jobs (names), after the daemon exited.
std::vector<std::string> jobs_left(const CloudFixture& cloud) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(cloud.dir() / "state" / "jobs", ec)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

std::size_t flashes_of(const std::filesystem::path& target) {
  return std::filesystem::exists(target / "flashes") ? lines_in(target / "flashes") : 0;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The device was upgraded exactly once with exactly `image`, and the
// platform saw the new version and no failure step.
void check_upgraded_once(const nlohmann::json& report, const std::string& name, const std::filesystem::path& target,
                         const FirmwareHost::Image& image, const std::string& version) {
  INFO(name);
  const auto& dev = device_in(report, name);
  CHECK(informs_of(dev) == std::vector<std::string>{"1.0.0", version});
  const auto steps = steps_of(dev);
  REQUIRE_FALSE(steps.empty());
  CHECK(steps.back() == "100");
  for (const auto& step : steps) CHECK(std::stoi(step) > 0);
  CHECK(flashes_of(target) == 1);
  CHECK(read(target / "images") == image.sha256 + "\n");  // the one image the plugin was handed
  CHECK(read(target / "image") == read(image.file));
}

// The device's job failed with `step`, nothing reached its plugin, and the
// platform still knows only the old version.
void check_refused(const nlohmann::json& report, const std::string& name, const std::filesystem::path& target,
                   const std::string& step) {
  INFO(name);
  const auto& dev = device_in(report, name);
  const auto steps = steps_of(dev);
  REQUIRE_FALSE(steps.empty());
  CHECK(steps.back() == step);
  CHECK(std::count_if(steps.begin(), steps.end(), [](const std::string& s) { return s.front() == '-'; }) == 1);
  CHECK(informs_of(dev) == std::vector<std::string>{"1.0.0"});
  CHECK(flashes_of(target) == 0);
  CHECK_FALSE(std::filesystem::exists(target / "images"));
}

// The Range header a download sends with `held` bytes on disk.
std::string range_for(std::uint64_t held) { return held == 0 ? "" : "bytes=" + std::to_string(held) + "-"; }

}  // namespace

TEST_CASE("a download dropped at 50 offsets resumes by Range from the bytes on disk and is flashed intact once",
          "[reliability]") {
  otagw::test_support::TempDir files("otagw-rel-http");
  FirmwareHost host(files.path());
  constexpr std::uint64_t kSize = 600'000;

  // 50 drops, as image offsets in the order they happen: the first request
  // is closed before any answer, the next right after its headers (byte 0),
  // 47 at distinct offsets from a fixed seed, the last one before the last
  // byte.
  std::vector<std::uint64_t> offsets;
  {
    std::mt19937_64 random(20261207);
    std::uniform_int_distribution<std::uint64_t> pick(1, kSize - 2);
    std::set<std::uint64_t> spread;
    while (spread.size() < 47) spread.insert(pick(random));
    offsets.push_back(0);
    offsets.insert(offsets.end(), spread.begin(), spread.end());
    offsets.push_back(kSize - 1);
  }
  // The server counts offsets in the body it sends, which starts where the
  // Range asks: each drop is the distance from the previous one.
  FaultSpec faults;
  faults.drop_schedule.push_back(FaultSpec::kNoAnswer);
  std::vector<std::string> expected_ranges{range_for(0)};
  std::uint64_t held = 0;
  for (const std::uint64_t at : offsets) {
    faults.drop_schedule.push_back(at - held);
    expected_ranges.push_back(range_for(held));
    held = at;
  }
  expected_ranges.push_back(range_for(held));  // the answer that completes it
  REQUIRE(faults.drop_schedule.size() == 50);

  const auto image = host.add("dropped.bin", kSize, faults);
  const auto other = host.add("other.bin", 20'000);
  const auto target = files.path() / "dev0";
  const auto second = files.path() / "dev1";
  // Each drop costs a back-off delay: 0.5-1 s after an attempt that added
  // bytes, about 40 s in all, well inside the budget. (A back-off that kept
  // doubling to 30 s across drops that made progress spends it by drop 10.)
  CloudFixture cloud({device("sub-0000", target, by_query(firmware_yaml(host, image, "2.0.0"))),
                      device("sub-0001", second, by_query(firmware_yaml(host, other, "2.0.0")))},
                     recorder_options("allow_http: true, download_retry_s: 60"));
  REQUIRE(cloud.run_once(100s) == 0);
  const auto report = cloud.stop_sim_and_report();
  INFO(cloud.daemon_log());
  CHECK(has(cloud.daemon_log(), "2 job(s) installed, 0 job(s) failed"));

  // Every attempt asked for exactly the bytes it lacked: the file on disk
  // was the only truth, nothing was asked twice or skipped.
  CHECK(host.ranges(image) == expected_ranges);
  check_upgraded_once(report, "sub-0000", target, image, "2.0.0");
  check_upgraded_once(report, "sub-0001", second, other, "2.0.0");
  CHECK(host.requests(other) == 1);
  CHECK(jobs_left(cloud).empty());
}

TEST_CASE("a transfer stalled past ota.low_speed_timeout_s is abandoned and resumed by Range", "[reliability]") {
  otagw::test_support::TempDir files("otagw-rel-http");
  FirmwareHost host(files.path());
  FaultSpec stall;
  // Longer than the whole run may take: only abandoning the transfer ends it.
  // After the resume the body starts at byte 300000 and has no byte 300000.
  stall.stall_at_byte = 300'000;
  stall.stall_after_bytes_ms = 200s;
  const auto image = host.add("stalled.bin", 400'000, stall);
  const auto other = host.add("other.bin", 20'000);
  const auto target = files.path() / "dev0";
  const auto second = files.path() / "dev1";
  CloudFixture cloud({device("sub-0000", target, by_query(firmware_yaml(host, image, "2.0.0"))),
                      device("sub-0001", second, by_query(firmware_yaml(host, other, "2.0.0")))},
                     recorder_options("allow_http: true, download_retry_s: 60, low_speed_timeout_s: 1"));
  REQUIRE(cloud.run_once(60s) == 0);
  const auto report = cloud.stop_sim_and_report();
  INFO(cloud.daemon_log());
  CHECK(has(cloud.daemon_log(), "download timed out"));
  CHECK(host.ranges(image) == std::vector<std::string>{"", "bytes=300000-"});
  check_upgraded_once(report, "sub-0000", target, image, "2.0.0");
  check_upgraded_once(report, "sub-0001", second, other, "2.0.0");
  CHECK(jobs_left(cloud).empty());
}

TEST_CASE("a server that stalls every attempt is -2 once ota.download_retry_s is spent, never flashed, and the pass "
          "goes on",
          "[reliability]") {
  otagw::test_support::TempDir files("otagw-rel-http");
  FirmwareHost host(files.path());
  FaultSpec stall;
  stall.stall_at_byte = 0;  // headers, then nothing, on every request
  stall.stall_after_bytes_ms = 200s;
  const auto image = host.add("stalled.bin", 100'000, stall);
  const auto other = host.add("other.bin", 20'000);
  const auto target = files.path() / "dev0";
  const auto second = files.path() / "dev1";
  CloudFixture cloud({device("sub-0000", target, by_query(firmware_yaml(host, image, "2.0.0"))),
                      device("sub-0001", second, by_query(firmware_yaml(host, other, "2.0.0")))},
                     recorder_options("allow_http: true, download_retry_s: 6, low_speed_timeout_s: 1"));
  REQUIRE(cloud.run_once(60s) == 6);  // a job failed in a complete pass
  const auto report = cloud.stop_sim_and_report();
  INFO(cloud.daemon_log());
  CHECK(has(cloud.daemon_log(), "1 job(s) installed, 1 job(s) failed"));
  CHECK(has(cloud.daemon_log(), "download timed out"));
  // Retried within the budget, then given up: a few attempts, none of them
  // with bytes to resume from.
  const auto ranges = host.ranges(image);
  CHECK(ranges.size() >= 2);
  CHECK(ranges.size() <= 5);
  CHECK(std::all_of(ranges.begin(), ranges.end(), [](const std::string& r) { return r.empty(); }));
  check_refused(report, "sub-0000", target, "-2");
  check_upgraded_once(report, "sub-0001", second, other, "2.0.0");
  CHECK(jobs_left(cloud).empty());
}

TEST_CASE("a 200 answer to a Range request restarts the download from byte 0 with no byte doubled", "[reliability]") {
  otagw::test_support::TempDir files("otagw-rel-http");
  FirmwareHost host(files.path());
  FaultSpec faults;
  faults.ignore_range = true;
  // The first 200 drops at 250000; the second (to bytes=250000-) starts
  // from 0 and drops at 100000; the third (to bytes=100000-) completes. A
  // daemon that appended a 200's body to the bytes it held would ask for
  // bytes=350000- next and flash a corrupt image.
  faults.drop_schedule = {250'000, 100'000};
  const auto image = host.add("ignored-range.bin", 600'000, faults);
  const auto other = host.add("other.bin", 20'000);
  const auto target = files.path() / "dev0";
  const auto second = files.path() / "dev1";
  CloudFixture cloud({device("sub-0000", target, by_query(firmware_yaml(host, image, "2.0.0"))),
                      device("sub-0001", second, by_query(firmware_yaml(host, other, "2.0.0")))},
                     recorder_options("allow_http: true, download_retry_s: 60"));
  REQUIRE(cloud.run_once(60s) == 0);
  const auto report = cloud.stop_sim_and_report();
  INFO(cloud.daemon_log());
  CHECK(has(cloud.daemon_log(), "the server ignored our Range"));
  CHECK(host.ranges(image) == std::vector<std::string>{"", "bytes=250000-", "bytes=100000-"});
  check_upgraded_once(report, "sub-0000", target, image, "2.0.0");
  check_upgraded_once(report, "sub-0001", second, other, "2.0.0");
  CHECK(jobs_left(cloud).empty());
}

TEST_CASE("a Content-Length or body unlike the offer's size is -2, never flashed, and the pass goes on",
          "[reliability]") {
  otagw::test_support::TempDir files("otagw-rel-http");
  FirmwareHost host(files.path());
  constexpr std::uint64_t kSize = 200'000;

  FaultSpec longer;
  longer.wrong_content_length = kSize + 1000;  // declares more than the offer, sends the image, closes
  const auto declared_longer = host.add("declared-longer.bin", kSize, longer);
  FaultSpec shorter;
  shorter.wrong_content_length = kSize - 1000;  // declares less, sends that much
  const auto declared_shorter = host.add("declared-shorter.bin", kSize, shorter);
  FaultSpec unbounded;
  unbounded.no_content_length = true;  // the body ends when the connection does
  // More bytes than the offer says, with no length to tell: only the
  // daemon's own count stops it.
  auto oversized = host.add("oversized.bin", kSize + 50'000, unbounded);
  oversized.size = kSize;
  // Fewer bytes than the offer says, with no length to tell; the offer's
  // digest is the whole image's.
  auto short_body = host.add("short-body.bin", kSize, unbounded);
  std::filesystem::resize_file(short_body.file, kSize - 5000);
  const auto good = host.add("good.bin", 20'000);

  std::vector<SimDevice> devices;
  const std::vector<const FirmwareHost::Image*> bad{&declared_longer, &declared_shorter, &oversized, &short_body};
  for (std::size_t i = 0; i < bad.size(); ++i) {
    devices.push_back(device("sub-000" + std::to_string(i), files.path() / ("dev" + std::to_string(i)),
                             by_query(firmware_yaml(host, *bad[i], "2.0.0"))));
  }
  devices.push_back(device("sub-0009", files.path() / "dev9", by_query(firmware_yaml(host, good, "2.0.0"))));
  CloudFixture cloud(devices, recorder_options("allow_http: true, download_retry_s: 0"));
  REQUIRE(cloud.run_once(60s) == 6);  // jobs failed in a complete pass
  const auto report = cloud.stop_sim_and_report();
  INFO(cloud.daemon_log());
  CHECK(has(cloud.daemon_log(), "1 job(s) installed, 4 job(s) failed"));
  // Each refused for its own reason: the declared lengths before any body
  // byte was written, the unbounded bodies by the daemon's own count.
  CHECK(has(cloud.daemon_log(), "the server declares 201000 bytes, the limit is 200000"));
  CHECK(has(cloud.daemon_log(), "the server declares 199000 bytes, the offer 200000"));
  CHECK(has(cloud.daemon_log(), "more than 200000 bytes received"));
  CHECK(has(cloud.daemon_log(), "195000 bytes, the offer says 200000"));
  for (std::size_t i = 0; i < bad.size(); ++i) {
    check_refused(report, "sub-000" + std::to_string(i), files.path() / ("dev" + std::to_string(i)), "-2");
    CHECK(host.requests(*bad[i]) == 1);
  }
  check_upgraded_once(report, "sub-0009", files.path() / "dev9", good, "2.0.0");
  CHECK(jobs_left(cloud).empty());
}

TEST_CASE("a redirect loop is -2 after a bounded number of requests, never flashed, and the pass goes on",
          "[reliability]") {
  otagw::test_support::TempDir files("otagw-rel-http");
  FirmwareHost host(files.path());
  // Real files behind the loops, so that a followed loop could not be
  // mistaken for a missing file.
  const auto self = host.add("self.bin", 30'000);
  const auto ping = host.add("ping.bin", 30'000);
  const auto pong = host.add("pong.bin", 30'000);
  FaultSpec to_self;
  to_self.redirect_to = host.url(self);
  host.set_faults(self.url_path, to_self);
  FaultSpec to_pong;
  to_pong.redirect_to = host.url(pong);
  host.set_faults(ping.url_path, to_pong);
  FaultSpec to_ping;
  to_ping.redirect_to = host.url(ping);
  host.set_faults(pong.url_path, to_ping);
  const auto good = host.add("good.bin", 20'000);

  // A retry budget that a retried loop would spend: it must not be.
  CloudFixture cloud({device("sub-0000", files.path() / "dev0", by_query(firmware_yaml(host, self, "2.0.0"))),
                      device("sub-0001", files.path() / "dev1", by_query(firmware_yaml(host, ping, "2.0.0"))),
                      device("sub-0002", files.path() / "dev2", by_query(firmware_yaml(host, good, "2.0.0")))},
                     recorder_options("allow_http: true, download_retry_s: 60"));
  REQUIRE(cloud.run_once(60s) == 6);  // jobs failed in a complete pass
  const auto report = cloud.stop_sim_and_report();
  INFO(cloud.daemon_log());
  CHECK(has(cloud.daemon_log(), "1 job(s) installed, 2 job(s) failed"));
  CHECK(has(cloud.daemon_log(), "more than 5 redirects"));
  check_refused(report, "sub-0000", files.path() / "dev0", "-2");
  check_refused(report, "sub-0001", files.path() / "dev1", "-2");
  // The first request and 5 redirects, once: not retried.
  CHECK(host.requests(self) == 6);
  CHECK(host.requests(ping) == 3);
  CHECK(host.requests(pong) == 3);
  check_upgraded_once(report, "sub-0002", files.path() / "dev2", good, "2.0.0");
  CHECK(jobs_left(cloud).empty());
}
