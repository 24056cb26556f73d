// `otagw-cloudsim run` end to end: the real binary starts mosquitto with the
// sign-in plugin, serves the platform and the packages, and runs the real
// otagwd with the sim-mcu sample plugin; then the config command as a process.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/cloudsim/sim_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace otagw::cloudsim_test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// A plugin vendor's scenario: their plugin, two devices, two packages.
std::string scenario(const std::string& expected_version) {
  return R"(
gateway: {product_key: a1GwProd01, device_name: gw-0001, device_secret: gw-secret-1}
otagwd: {query_timeout_s: 5, timeout_s: 25}
plugins:
  mcu: {exec: "${source}/subdev/plugins/sim-mcu", timeout_s: 20}
packages:
  fw-2: {version: "2.0.0", generate: {size: 200000, seed: 5}}
  fw-bad: {version: "2.0.0", generate: {size: 1000, seed: 6}, signMethod: Md5, scheme: http, faults: {wrong_digest: true}}
devices:
  - product_key: a1SubProd1
    device_name: mcu-0001
    device_secret: s-1
    version: "1.0.0"
    plugin: mcu
    params: {target_dir: "${work}/mcu-0001", flash_ms: 200}
    modules: {default: {package: fw-2}}
  - {product_key: a1SubProd1, device_name: mcu-0002, device_secret: s-2, version: "1.0.0", plugin: mcu,
     params: {target_dir: "${work}/mcu-0002", flash_ms: 200}, modules: {default: {package: fw-bad}}}
expect:
  - {device: mcu-0001, version: ")" + expected_version + R"("}
  - {device: mcu-0002, step: "-3", version: "1.0.0"}
)";
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Run {
  int status = -1;
  std::string out;
  std::string err;
};

Run run(const std::filesystem::path& dir, const std::string& text, const std::string& keep) {
  std::ofstream(dir / (keep + ".yaml")) << text;
  SimProcess sim({"run", (dir / (keep + ".yaml")).string(), "--otagwd", OTAGWD_PATH, "--keep", (dir / keep).string(),
                  "--table", "plain"},
                 dir / (keep + ".err"));
  Run result;
  result.out = sim.read_all_stdout(30s);
  result.status = sim.wait(5s).value_or(-1);
  result.err = sim.stderr_text();
  return result;
}

}  // namespace

TEST_CASE("run: otagwd upgrades a device through the sim-mcu plugin and refuses a bad digest", "[integration][cloudsim]") {
  otagw::test_support::TempDir dir("otagw-cloudsim-run");
  const auto started = std::chrono::steady_clock::now();
  const auto result = run(dir.path(), scenario("2.0.0"), "ok");
  INFO(result.out << result.err << read_file(dir.path() / "ok" / "otagwd.log"));
  CHECK(result.status == 0);
  CHECK(std::chrono::steady_clock::now() - started < 25s);
  CHECK(result.out.find("mcu-0001: upgraded 1.0.0 -> 2.0.0") != std::string::npos);
  CHECK(result.out.find("expectations: 2 of 2 met") != std::string::npos);

  const auto report = json::parse(read_file(dir.path() / "ok" / "report.json"));
  CHECK(report["otagwd"]["exit"] == 6);  // mcu-0002's job failed, as the scenario expects
  CHECK(report["expectations_met"] == true);
  CHECK(report["devices"][0]["version"] == "2.0.0");
  CHECK(report["devices"][0]["result"] == "upgraded");
  CHECK(report["devices"][1]["result"] == "failed");
  CHECK(report["devices"][1]["modules"][0]["step"] == "-3");
  CHECK(report["violations"].empty());
  // What the plugin flashed is the package, and it answers its version from it.
  CHECK(read_file(dir.path() / "ok" / "mcu-0001" / "VERSION") == "2.0.0\n");
  CHECK(std::filesystem::file_size(dir.path() / "ok" / "mcu-0001" / "firmware.bin") == 200000);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "ok" / "mcu-0002" / "VERSION"));
}

TEST_CASE("run: an expectation that does not hold exits 3 and says which", "[integration][cloudsim]") {
  otagw::test_support::TempDir dir("otagw-cloudsim-run");
  const auto result = run(dir.path(), scenario("9.9.9"), "unmet");
  INFO(result.out << result.err);
  CHECK(result.status == 3);
  CHECK(result.out.find("expectations: 1 of 2 met") != std::string::npos);
  CHECK(result.out.find("NOT MET mcu-0001: version 9.9.9") != std::string::npos);
  const auto report = json::parse(read_file(dir.path() / "unmet" / "report.json"));
  CHECK(report["expectations_met"] == false);
  CHECK(report["otagwd"]["exit"] == 6);
}

TEST_CASE("config writes what otagwd --check-config accepts", "[integration][cloudsim]") {
  otagw::test_support::TempDir dir("otagw-cloudsim-config");
  std::ofstream(dir.path() / "s.yaml") << scenario("2.0.0");
  std::ofstream(dir.path() / "ca.pem") << "a CA\n";
  const auto config = run_sim({"config", "--scenario", (dir.path() / "s.yaml").string(), "--broker-port", "1883",
                               "--state-dir", (dir.path() / "state").string(), "--ca-file",
                               (dir.path() / "ca.pem").string(), "--output", (dir.path() / "gw.yaml").string()},
                              dir.path());
  INFO(config.err);
  REQUIRE(config.status == 0);
  const auto text = read_file(dir.path() / "gw.yaml");
  CHECK(text.find("allow_http: true") != std::string::npos);
  CHECK(text.find("\"target_dir\":\"" + dir.path().string() + "/mcu-0001\"") != std::string::npos);
  CHECK((std::filesystem::status(dir.path() / "gw.yaml").permissions() & std::filesystem::perms::others_read) ==
        std::filesystem::perms::none);
  otagw::test_support::ChildProcess check({OTAGWD_PATH, "--check-config", "--config", (dir.path() / "gw.yaml").string()},
                                          dir.path());
  INFO(check.stderr_text());
  CHECK(check.wait(10s) == 0);
  CHECK(check.stdout_text().find("OK (2 sub-device(s), 1 plugin(s))") != std::string::npos);

  // A scenario without what the config needs: exit 2, naming the device.
  std::ofstream(dir.path() / "bare.yaml") << "gateway: {product_key: a1GwProd01, device_name: gw-0001, device_secret: x}\n"
                                             "devices: [{product_key: p, device_name: dddd, device_secret: s}]\n";
  const auto bare = run_sim({"config", "--scenario", (dir.path() / "bare.yaml").string(), "--broker-port", "1883",
                             "--state-dir", (dir.path() / "state").string()},
                            dir.path());
  CHECK(bare.status == 2);
  CHECK(bare.err.find("device p/dddd: no version") != std::string::npos);
}

TEST_CASE("run: devices on two buses flash at once, each as long as its flash_seconds", "[integration][cloudsim]") {
  otagw::test_support::TempDir dir("otagw-cloudsim-run");
  const std::string text = R"(
gateway: {product_key: a1GwProd01, device_name: gw-0001, device_secret: gw-secret-1}
otagwd: {query_timeout_s: 5, timeout_s: 40}
plugins:
  mcu: {exec: "${source}/subdev/plugins/sim-mcu", timeout_s: 20}
packages:
  fw-2: {version: "2.0.0", generate: {size: 20000, seed: 5}}
devices:
  - {product_key: a1SubProd1, device_name: mcu-0001, device_secret: s-1, version: "1.0.0", bus: uart0,
     flash_seconds: 2.1, params: {target_dir: "${work}/mcu-0001"}, modules: {default: {package: fw-2}}}
  - {product_key: a1SubProd1, device_name: mcu-0002, device_secret: s-2, version: "1.0.0", bus: uart1,
     flash_seconds: 0.2, params: {target_dir: "${work}/mcu-0002"}, modules: {default: {package: fw-2}}}
expect:
  - {device: mcu-0001, version: "2.0.0", result: upgraded}
  - {device: mcu-0002, version: "2.0.0", result: upgraded}
  - {flashes_overlap: [uart0, uart1]}    # otagwd works on both buses at once
)";
  const auto result = run(dir.path(), text, "buses");
  INFO(result.out << result.err << read_file(dir.path() / "buses" / "otagwd.log"));
  CHECK(result.status == 0);
  CHECK(result.out.find("expectations: 3 of 3 met") != std::string::npos);
  CHECK(result.out.find("mcu-0002: downloaded, flashing on uart1") != std::string::npos);
  CHECK(result.out.find("\nflashes across buses: longest overlap ") != std::string::npos);
  CHECK(result.out.find("mcu-0002  uart1  1.0.0  2.0.0  upgraded") != std::string::npos);

  const auto config = read_file(dir.path() / "buses" / "gateway.yaml");
  CHECK(config.find("    bus: \"uart0\"\n") != std::string::npos);
  CHECK(config.find("    bus: \"uart1\"\n") != std::string::npos);
  CHECK(config.find("\"flash_ms\":2100") != std::string::npos);

  // sim-mcu slept its flash_seconds (more than its default 1.5 s): the
  // platform saw at least that long between the download's step 100 and the
  // new version.
  const auto report = json::parse(read_file(dir.path() / "buses" / "report.json"));
  REQUIRE(report["devices"].size() == 2);
  const auto& device = report["devices"][0];
  CHECK(device["bus"] == "uart0");
  CHECK(report["devices"][1]["bus"] == "uart1");
  std::int64_t downloaded = -1, informed = -1;
  for (const auto& progress : device["progress"]) {
    if (progress["step"] == "100") downloaded = progress["t_ms"].get<std::int64_t>();
  }
  for (const auto& inform : device["informs"]) {
    if (inform["version"] == "2.0.0") informed = inform["t_ms"].get<std::int64_t>();
  }
  REQUIRE(downloaded >= 0);
  REQUIRE(informed >= 0);
  CHECK(informed - downloaded >= 2100);
  CHECK(report["flash_overlap"]["ms"].get<std::int64_t>() > 0);
}
