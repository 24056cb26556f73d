// otagwd as a process: command line, exit codes, sign-in against a broker that
// checks the platform HMAC, SIGTERM, log format, secrets kept out of logs.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/mosquitto_broker.hpp"
#include "tests/support/temp_dir.hpp"

using namespace otagw::test_support;
using namespace std::chrono_literals;

namespace {

constexpr const char* kOtagwd = OTAGWD_PATH;
constexpr const char* kSecret = "gwSecret-Never-In-Logs-7f3a";

std::filesystem::path write_config(const TempDir& dir, std::uint16_t port, const std::string& secret,
                                   const std::string& extra = {}) {
  const auto path = dir.path() / "gateway.yaml";
  std::ofstream(path) << "gateway:\n"
                         "  product_key: a1GwProd01\n"
                         "  device_name: gw-0001\n"
                         "  device_secret: \""
                      << secret
                      << "\"\n"
                         "mqtt:\n"
                         "  host: 127.0.0.1\n"
                         "  port: "
                      << port
                      << "\n"
                         "  tls: false\n"
                         "  connect_retry_s: 2\n"
                         "ota:\n"
                         "  state_dir: state\n"
                         "log:\n"
                         "  level: trace\n"
                      << extra;
  otagw::test_support::make_private(path);
  return path;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

constexpr const char* kUnshare = "/usr/bin/unshare";

// Runs `shell` (with $0 = `mount_dir`) then `command`, in a fresh user and mount
// namespace where a 1 MiB tmpfs is mounted on `mount_dir` with `mount_options`:
// a real read-only or full file system, as root (CI) or not, and nothing
// mounted outside the namespace. nullopt when this machine cannot make one.
std::optional<int> run_on_tmpfs(const TempDir& dir, const std::filesystem::path& mount_dir,
                                const std::string& mount_options, const std::string& shell,
                                std::vector<std::string> command, std::string* log = nullptr) {
  if (!std::filesystem::exists(kUnshare)) return std::nullopt;
  const std::string script = "mount -t tmpfs -o size=1m," + mount_options + " tmpfs \"$0\" || exit 99\n" + shell +
                             "\nexec \"$@\"";
  std::vector<std::string> argv{kUnshare, "-rm", "/bin/sh", "-c", script, mount_dir.string()};
  argv.insert(argv.end(), command.begin(), command.end());
  ChildProcess child(argv, dir.path());
  const auto status = child.wait(20s);
  if (log != nullptr) *log = child.stderr_text();
  // unshare's own failure (no user namespaces) is 1, like otagwd's config
  // error: tell them apart by the message unshare prints.
  if (status == 99 || (status == 1 && child.stderr_text().find("unshare failed") != std::string::npos))
    return std::nullopt;
  return status;
}

BrokerOptions gateway_broker() {
  BrokerOptions options;
  options.auth = true;
  options.devices.push_back({"a1GwProd01", "gw-0001", kSecret});
  return options;
}

}  // namespace

TEST_CASE("usage errors exit 2, --help and --version exit 0", "[integration][daemon]") {
  TempDir dir;
  ChildProcess none({kOtagwd}, dir.path());
  CHECK(none.wait(10s) == 2);
  CHECK(none.stderr_text().find("--config FILE is required") != std::string::npos);
  ChildProcess bad({kOtagwd, "--config", "x.yaml", "--frobnicate"}, dir.path());
  CHECK(bad.wait(10s) == 2);
  ChildProcess help({kOtagwd, "--help"}, dir.path());
  CHECK(help.wait(10s) == 0);
  CHECK(help.stdout_text().find("usage: otagwd") != std::string::npos);
}

TEST_CASE("check-config prints every error with key and line, exit 1", "[integration][daemon]") {
  TempDir dir;
  const auto path = dir.path() / "broken.yaml";
  std::ofstream(path) << "gateway:\n  product_key: a1GwProd01\n  device_name: gw-0001\n  device_secret: x\n"
                         "mqtt:\n  port: 99999\n  keepalive_s: 5\n";
  otagw::test_support::make_private(path);
  ChildProcess check({kOtagwd, "--check-config", "--config", path.string()}, dir.path());
  CHECK(check.wait(10s) == 1);
  const auto errors = check.stderr_text();
  CHECK(errors.find("mqtt.port") != std::string::npos);
  CHECK(errors.find("(line 6)") != std::string::npos);
  CHECK(errors.find("mqtt.keepalive_s") != std::string::npos);

  const auto good = write_config(dir, 1883, kSecret);
  ChildProcess ok({kOtagwd, "--check-config", "--config", good.string()}, dir.path());
  CHECK(ok.wait(10s) == 0);
}

TEST_CASE("once: signs in to a broker that checks the platform HMAC and exits 0", "[integration][daemon]") {
  MosquittoBroker broker(gateway_broker());
  TempDir dir;
  const auto config = write_config(dir, broker.port(), kSecret);
  ChildProcess daemon({kOtagwd, "--config", config.string(), "--once"}, dir.path());
  CHECK(daemon.wait(20s) == 0);
  const auto log = daemon.stderr_text();
  CHECK(log.find("MQTT: connected to 127.0.0.1") != std::string::npos);
  CHECK(log.find(kSecret) == std::string::npos);  // trace level, and still no secret
  CHECK(std::filesystem::is_directory(dir.path() / "state"));
}

TEST_CASE("once: exits as soon as its pass is done, nothing left waiting on the loop", "[integration][daemon]") {
  // After the loop ends the daemon drains for at most 3 s while work is left
  // on it; a wait left pending (a signal, a timer, an accept) costs those
  // 3 s on every exit, and systemctl stop waits for them too.
  MosquittoBroker broker(gateway_broker());
  TempDir dir;
  const auto config = write_config(dir, broker.port(), kSecret);
  const auto started = std::chrono::steady_clock::now();
  ChildProcess daemon({kOtagwd, "--config", config.string(), "--once"}, dir.path());
  REQUIRE(daemon.wait(20s) == 0);
  CHECK(std::chrono::steady_clock::now() - started < 2500ms);
}

TEST_CASE("a wrong secret exits 3 and says so", "[integration][daemon]") {
  MosquittoBroker broker(gateway_broker());
  TempDir dir;
  const auto config = write_config(dir, broker.port(), "not-the-secret");
  ChildProcess daemon({kOtagwd, "--config", config.string(), "--once"}, dir.path());
  CHECK(daemon.wait(20s) == 3);
  CHECK(daemon.stderr_text().find("not authorised: check gateway.device_secret") != std::string::npos);
}

TEST_CASE("an unreachable broker exits 4 after mqtt.connect_retry_s", "[integration][daemon]") {
  TempDir dir;
  const auto config = write_config(dir, free_loopback_port(), kSecret);
  const auto started = std::chrono::steady_clock::now();
  ChildProcess daemon({kOtagwd, "--config", config.string(), "--once"}, dir.path());
  CHECK(daemon.wait(20s) == 4);
  CHECK(std::chrono::steady_clock::now() - started >= 1900ms);
}

TEST_CASE("SIGTERM stops the service gracefully with exit 0", "[integration][daemon]") {
  MosquittoBroker broker(gateway_broker());
  TempDir dir;
  const auto config = write_config(dir, broker.port(), kSecret);
  ChildProcess daemon({kOtagwd, "--config", config.string()}, dir.path());
  REQUIRE(daemon.wait_for_stderr("MQTT: connected", 10s));
  daemon.signal(SIGTERM);
  CHECK(daemon.wait(10s) == 0);
  CHECK(daemon.stderr_text().find("SIGTERM received") != std::string::npos);
}

TEST_CASE("under the journal: <N> priority prefixes and no time stamps", "[integration][daemon]") {
  TempDir dir;
  const auto config = write_config(dir, free_loopback_port(), kSecret);
  // Name the child's stderr in JOURNAL_STREAM as systemd would; create it
  // first so its inode is known.
  const auto stderr_path = dir.path() / "journal.stderr";
  std::ofstream(stderr_path).close();
  struct stat st {};
  REQUIRE(stat(stderr_path.c_str(), &st) == 0);
  ChildProcess daemon({kOtagwd, "--config", config.string(), "--once"}, dir.path(),
                      {"JOURNAL_STREAM=" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)},
                      stderr_path);
  CHECK(daemon.wait(20s) == 4);
  const auto log = daemon.stderr_text();
  CHECK(log.rfind("<4>", 0) == 0);  // first line: the tls=false warning
  CHECK(log.find("<6>MQTT: connecting") != std::string::npos);
  CHECK(log.find("<3>no connection") != std::string::npos);
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    CHECK((line.size() > 3 && line[0] == '<' && line[2] == '>'));  // never a time stamp first
  }
}

// Issue 11 item 5: `otagwd --once` beside the service fought it over the
// client id (the broker kicked the service off) and over state_dir.
TEST_CASE("a second otagwd on the same state_dir exits 7 naming the lock and the holder's pid",
          "[integration][daemon]") {
  MosquittoBroker broker(gateway_broker());
  TempDir dir;
  const auto config = write_config(dir, broker.port(), kSecret);
  ChildProcess first({kOtagwd, "--config", config.string()}, dir.path());
  REQUIRE(first.wait_for_stderr("MQTT: connected", 10s));
  const auto lock_path = dir.path() / "state" / "lock";
  CHECK(read_text(lock_path) == std::to_string(first.pid()) + "\n");

  const auto started = std::chrono::steady_clock::now();
  ChildProcess second({kOtagwd, "--config", config.string(), "--once"}, dir.path());
  CHECK(second.wait(10s).value_or(-1) == 7);
  CHECK(std::chrono::steady_clock::now() - started < 3s);  // at once, not after a pass
  const auto message = second.stderr_text();
  INFO(message);
  CHECK(message.find("ota.state_dir " + (dir.path() / "state").string() + " is in use by otagwd pid " +
                     std::to_string(first.pid()) + " (lock " + lock_path.string() + ")") != std::string::npos);
  CHECK(message.find("MQTT: connecting") == std::string::npos);  // it never reached the broker

  // --check-config only reads the configuration: it runs beside the service.
  ChildProcess check({kOtagwd, "--check-config", "--config", config.string()}, dir.path());
  CHECK(check.wait(10s) == 0);

  // The first is undisturbed: still running, never kicked off the broker,
  // and still the lock's holder.
  CHECK_FALSE(first.wait(500ms).has_value());
  CHECK(first.stderr_text().find("lost") == std::string::npos);
  CHECK(read_text(lock_path) == std::to_string(first.pid()) + "\n");
  first.signal(SIGTERM);
  CHECK(first.wait(10s) == 0);
}

TEST_CASE("the state_dir lock dies with its holder: after kill -9 a new otagwd starts", "[integration][daemon]") {
  MosquittoBroker broker(gateway_broker());
  TempDir dir;
  const auto config = write_config(dir, broker.port(), kSecret);
  const auto lock_path = dir.path() / "state" / "lock";
  ChildProcess first({kOtagwd, "--config", config.string()}, dir.path());
  REQUIRE(first.wait_for_stderr("MQTT: connected", 10s));
  REQUIRE(read_text(lock_path) == std::to_string(first.pid()) + "\n");
  first.signal(SIGKILL);
  REQUIRE(first.wait(10s) == 128 + SIGKILL);

  // The kernel dropped the flock with the process; the stale pid in the file
  // does not matter.
  ChildProcess next({kOtagwd, "--config", config.string(), "--once"}, dir.path());
  CHECK(next.wait(20s).value_or(-1) == 0);
  CHECK(read_text(lock_path) == std::to_string(next.pid()) + "\n");
  // And after an orderly exit.
  ChildProcess again({kOtagwd, "--config", config.string(), "--once"}, dir.path());
  CHECK(again.wait(20s) == 0);
}

// Issue 11 item 8: a read-only or full state_dir went unnoticed at start
// (with an unreachable broker the run below ended 4 after connect_retry_s).
TEST_CASE("a read-only state_dir is a start-up error: exit 1 naming the directory", "[integration][daemon]") {
  TempDir dir;
  const auto config = write_config(dir, free_loopback_port(), kSecret);
  const auto state = dir.path() / "state";
  std::filesystem::create_directories(state);
  std::string log;
  const auto status = run_on_tmpfs(dir, state, "ro", "", {kOtagwd, "--config", config.string(), "--once"}, &log);
  if (!status) {
    WARN("SKIPPED: cannot mount a tmpfs in a user+mount namespace here (unshare -rm): " << log);
    return;
  }
  INFO(log);
  CHECK(status.value_or(-1) == 1);
  CHECK(log.find("ota.state_dir " + state.string()) != std::string::npos);
  CHECK(log.find("Read-only file system") != std::string::npos);
}

TEST_CASE("a full state_dir is a start-up error: exit 1 naming the directory", "[integration][daemon]") {
  TempDir dir;
  const auto config = write_config(dir, free_loopback_port(), kSecret);
  const auto state = dir.path() / "state";
  std::filesystem::create_directories(state);
  std::string log;
  // A lock file left by an earlier run, then dd up to ENOSPC: every page of
  // the tmpfs is taken. The pid write reuses the lock's own page, so it is
  // the write probe that must notice.
  const auto status = run_on_tmpfs(dir, state, "rw",
                                   "echo 1 > \"$0/lock\" && dd if=/dev/zero of=\"$0/fill\" bs=64k 2>/dev/null",
                                   {kOtagwd, "--config", config.string(), "--once"}, &log);
  if (!status) {
    WARN("SKIPPED: cannot mount a tmpfs in a user+mount namespace here (unshare -rm): " << log);
    return;
  }
  INFO(log);
  CHECK(status.value_or(-1) == 1);
  CHECK(log.find("ota.state_dir " + state.string()) != std::string::npos);
  CHECK(log.find("does not take writes") != std::string::npos);  // the probe's line
  CHECK(log.find("No space left on device") != std::string::npos);
}

TEST_CASE("a config holding secrets that others can read is refused at start and by --check-config", "[integration][daemon]") {
  TempDir dir;
  const auto config = write_config(dir, 1883, kSecret);
  std::filesystem::permissions(config, std::filesystem::perms::others_read, std::filesystem::perm_options::add);
  for (const bool check_only : {true, false}) {
    std::vector<std::string> argv{kOtagwd, "--config", config.string()};
    if (check_only) argv.push_back("--check-config");
    ChildProcess run(argv, dir.path());
    CHECK(run.wait(10s) == 1);
    const auto log = run.stderr_text();
    INFO(log);
    CHECK(log.find("gateway.device_secret") != std::string::npos);
    CHECK(log.find("others can read") != std::string::npos);
    CHECK(log.find("chmod 6") != std::string::npos);
    CHECK(log.find(kSecret) == std::string::npos);
  }
}
