// otagwd as a process: command line, exit codes, sign-in against a broker that
// checks the platform HMAC, SIGTERM, log format, secrets kept out of logs.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

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
  return path;
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
