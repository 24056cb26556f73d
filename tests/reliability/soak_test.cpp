// The soak (issue 11, Deliver 6): otagwd as the service, 200 passes with a
// firmware job in every one, against a real mosquitto, otagw-cloudsim and
// the recorder plugin. The simulator's `alternate:` module offers 3.0.0 to a
// device at 2.0.0 and 2.0.0 to a device at 3.0.0, so every pass downloads,
// verifies, flashes, confirms and reports a new version. otagwd's open file
// descriptors (/proc/PID/fd) and resident memory (VmRSS) are sampled after a
// warm-up and after the last pass, between passes (the daemon idle, waiting
// for the next one), and must stay flat.
#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <algorithm>
#include <string>

#include "tests/subdev/cloud_fixture.hpp"
#include "tests/subdev/firmware_host.hpp"
#include "tests/subdev/job_report.hpp"
#include "tests/support/wait_until.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define OTAGW_SOAK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OTAGW_SOAK_ASAN 1
#endif
#endif

using namespace otagw::sweep_test;
using namespace std::chrono_literals;
using otagw::test_support::wait_until;

namespace {

constexpr int kPasses = 200;
constexpr int kWarmUpPasses = 20;
constexpr long kFdTolerance = 2;
#ifdef OTAGW_SOAK_ASAN
// ASan keeps freed memory in its quarantine (made small below) and its own
// bookkeeping grows with it: a looser bound.
constexpr long kRssToleranceKiB = 16 * 1024;
#else
constexpr long kRssToleranceKiB = 4 * 1024;
#endif

long open_fds(pid_t pid) {
  long count = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++count;
  }
  return count;
}

long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// The fewest fds over a second: jobs end on their own, after their pass, so a
// sample may catch one's plugin pipes and download; the least of a second's
// samples is the daemon's own.
long idle_fds(pid_t pid) {
  long fewest = open_fds(pid);
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    fewest = std::min(fewest, open_fds(pid));
  }
  return fewest;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("200 service passes with a firmware job each: otagwd's open fds and RSS stay flat", "[reliability][soak]") {
#ifdef OTAGW_SOAK_ASAN
  // The daemon inherits this: a small quarantine, so RSS tells leaks, not ASan's cache.
  const char* asan = std::getenv("ASAN_OPTIONS");
  const std::string asan_options = std::string(asan != nullptr ? asan : "") +
                                   (asan != nullptr && *asan ? ":" : "") + "quarantine_size_mb=1";
  ::setenv("ASAN_OPTIONS", asan_options.c_str(), 1);
#endif
  otagw::test_support::TempDir files("otagw-rel-soak");
  FirmwareHost host(files.path());
  const auto image_a = host.add("a.bin", 4096);
  const auto image_b = host.add("b.bin", 4096);
  const auto target = files.path() / "sub-0000";
  // alternate: the simulator's firmware offered once the device reports the other one.
  const std::string alternate = firmware_yaml(host, image_b, "3.0.0");
  const std::string scenario = "modules: {default: {" + firmware_yaml(host, image_a, "2.0.0") + ", alternate: " +
                               alternate.substr(std::string("firmware: ").size()) + "}}";
  CloudOptions options = recorder_options("allow_http: true, download_retry_s: 0, sweep_interval_s: 1");
  CloudFixture cloud({device("sub-0000", target, scenario), device("sub-0001", files.path() / "sub-0001", "")},
                     options);
  {
    // Info, not debug: 200 passes of debug lines only slow the test's polling.
    std::string config = read(cloud.dir() / "gateway.yaml");
    const auto at = config.find("log: {level: debug}");
    REQUIRE(at != std::string::npos);
    config.replace(at, 19, "log: {level: info}");
    std::ofstream(cloud.dir() / "gateway.yaml") << config;
  }

  auto& daemon = cloud.start_service();
  const pid_t pid = daemon.pid();
  auto passes = [&daemon] { return count_of(daemon.stderr_text(), "sweep done"); };
  const auto started = std::chrono::steady_clock::now();

  // Samples are taken right after a pass's "sweep done" line, while otagwd
  // waits a second for the next pass.
  REQUIRE(wait_until([&] { return passes() >= kWarmUpPasses; }, 120s, 50ms));
  const long fds_warm = idle_fds(pid);
  const long rss_warm = rss_kib(pid);
  const auto warm = std::chrono::steady_clock::now();

  // Halfway, for the record (a leak grows steadily; noise does not).
  REQUIRE(wait_until([&] { return passes() >= (kWarmUpPasses + kPasses) / 2; }, 400s, 50ms));
  const long fds_mid = idle_fds(pid);
  const long rss_mid = rss_kib(pid);

  REQUIRE(wait_until([&] { return passes() >= kPasses; }, 400s, 50ms));
  const long fds_end = idle_fds(pid);
  const long rss_end = rss_kib(pid);
  const auto ended = std::chrono::steady_clock::now();

  const auto report = cloud.stop_sim_and_report();
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(20s) == 0);
  const std::string log = daemon.stderr_text();

  const double seconds = std::chrono::duration<double>(ended - started).count();
  const double soak_seconds = std::chrono::duration<double>(ended - warm).count();
  std::ostringstream numbers;
  numbers << "soak: " << kPasses << " passes in " << seconds << " s (" << kPasses / seconds
          << " passes/s; passes " << kWarmUpPasses << ".." << kPasses << " in " << soak_seconds << " s)"
          << "; otagwd open fds after pass " << kWarmUpPasses << "/" << (kWarmUpPasses + kPasses) / 2 << "/"
          << kPasses << ": " << fds_warm << "/" << fds_mid << "/" << fds_end << "; VmRSS KiB " << rss_warm << "/"
          << rss_mid << "/" << rss_end << " (growth " << (rss_end - rss_warm) << " KiB; tolerance fds +-"
          << kFdTolerance << ", RSS " << kRssToleranceKiB << " KiB)";
  WARN(numbers.str());
  std::cout << numbers.str() << std::endl;

  // A job starts in a pass and ends on its own (a pass that finds it still
  // running passes the device by): at least every other pass had its job,
  // and every job installed.
  const std::size_t done = count_of(log, "sweep done");
  CHECK(done >= static_cast<std::size_t>(kPasses));
  CHECK(count_of(log, " 0 job(s) failed") == done);
  const std::size_t installs = count_of(log, ": now at ");
  CHECK(installs >= static_cast<std::size_t>(kPasses) / 2);
  CHECK(lines_in(target / "flashes") == installs);
  CHECK(lines_in(target / "flashes") == lines_in(target / "completed"));
  const auto informs = informs_of(device_in(report, "sub-0000"));
  // (The report is taken before the daemon stops: the last job may end
  // after it, its inform not in it.)
  REQUIRE(informs.size() + 2 >= 2 * installs);
  CHECK(report.at("violations").empty());

  REQUIRE(fds_warm > 0);
  REQUIRE(rss_warm > 0);
  // A leak grows; fewer fds at the end only means a job (its plugin's pipes,
  // its download) ran at the first sample and not at the last.
  CHECK(fds_end <= fds_warm + kFdTolerance);
  CHECK(rss_end - rss_warm < kRssToleranceKiB);
}
