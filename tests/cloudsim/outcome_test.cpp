// The scenario's packages, plugins and expectations (loading), what the
// platform makes of a device's informs and progress (outcomes, "no more
// offers once installed"), and the otagwd config written from a scenario.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "config/load.hpp"
#include "tests/cloudsim/gateway_client.hpp"
#include "tests/support/temp_dir.hpp"
#include "tools/cloudsim/otagwd_config.hpp"
#include "tools/cloudsim/outcome.hpp"
#include "tools/cloudsim/platform.hpp"
#include "tools/cloudsim/report.hpp"
#include "tools/cloudsim/scenario_load.hpp"
#include "tools/cloudsim/status_table.hpp"

using namespace otagw::cloudsim;
using nlohmann::json;
using otagw::cloudsim_test::subdevice_entry;
using namespace std::chrono_literals;

namespace {

const char* const kGateway = "gateway: {product_key: a1GwProd01, device_name: gw-0001, device_secret: gwsecret}\n";

// A line of `text` that starts with `path` (then " (line N): ") and holds `message`.
bool has_error(const std::string& text, const std::string& path, const std::string& message = {}) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(path + " (line") && line.find(message) != std::string::npos) return true;
  }
  return false;
}

std::string errors_of(const ScenarioLoad& load) {
  std::string text;
  for (const auto& e : load.errors) text += e.to_string() + "\n";
  return text;
}

class NullOutbox final : public Outbox {
 public:
  void publish(std::string topic, std::string payload, std::chrono::milliseconds) override {
    sent.emplace_back(std::move(topic), json::parse(payload));
  }
  std::vector<std::pair<std::string, json>> sent;
};

const std::string kSha = std::string(64, 'a');

const std::string kOtaScenario = std::string(kGateway) + R"(
devices:
  - product_key: p1
    device_name: dev-up
    device_secret: s1
    topology: present
    modules:
      default: {firmware: {version: "2.0.0", size: 10, url: "https://x/a", signMethod: SHA256, sign: ")" + kSha + R"("}}
  - product_key: p1
    device_name: dev-bad
    device_secret: s2
    topology: present
    modules:
      default: {firmware: {version: "2.0.0", size: 10, url: "https://x/a", signMethod: SHA256, sign: ")" + kSha + R"("}}
  - {product_key: p1, device_name: dev-none, device_secret: s3, topology: present}
  - product_key: p1
    device_name: dev-cur
    device_secret: s4
    topology: present
    modules:
      default: {firmware: {version: "2.0.0", size: 10, url: "https://x/a", signMethod: SHA256, sign: ")" + kSha + R"("}}
expect:
  - {device: dev-up, version: "2.0.0", result: upgraded}
  - {device: dev-bad, step: "-3"}
  - {device: dev-none, result: current}
  - {device: dev-cur, version: "2.0.0", result: current}
  - {device: dev-bad, version: "2.0.0"}
)";

json query(const std::string& id) { return {{"id", id}, {"params", json::object()}, {"method", "thing.ota.firmware.get"}}; }
json inform(const std::string& version) { return {{"id", "1"}, {"params", {{"version", version}}}}; }
json progress(const std::string& step) { return {{"id", "1"}, {"params", {{"step", step}, {"desc", "d"}}}}; }

}  // namespace

TEST_CASE("packages, plugins, expectations and otagwd settings load", "[unit][cloudsim]") {
  otagw::test_support::TempDir dir;
  std::ofstream(dir.path() / "img.bin") << "firmware";
  const auto load = parse_scenario(std::string(kGateway) + R"(
otagwd: {query_timeout_s: 3, timeout_s: 20, log_level: debug}
plugins:
  mcu: {exec: plugins/mcu.sh, timeout_s: 30}
  lib: {library: "${build}/libx.so"}
packages:
  fw-2: {version: "2.0.0", file: img.bin}
  fw-3:
    version: "3.0.0"
    generate: {size: 300000, seed: 7}
    signMethod: Md5
    scheme: http
    faults: {drop_at_byte: 1000, drop_times: 2, status: 500, ignore_range: true, wrong_digest: true,
             rate_bytes_per_s: 100, stall_at_byte: 10, stall_ms: 20}
    isDiff: 1
    extData: {a: 1, b: "x"}
    module: mcu
devices:
  - product_key: p1
    device_name: dev-1
    device_secret: s1
    version: "1.0.0"
    plugin: mcu
    params: {target_dir: "${work}/d1", n: 5, flag: true, quoted: "5"}
    modules:
      default: {package: fw-2}
      mcu: {package: fw-3, query: push, version: "0.9", plugin: lib}
expect:
  - {device: dev-1, version: "2.0.0"}
  - {device: dev-1, module: mcu, step: "-3", result: failed}
)",
                                   dir.path());
  INFO(errors_of(load));
  REQUIRE(load.scenario);
  const auto& s = *load.scenario;
  CHECK(s.otagwd.query_timeout_s == 3);
  CHECK(s.otagwd.timeout_s == 20);
  CHECK(s.otagwd.log_level == "debug");
  REQUIRE(s.plugins.size() == 2);
  CHECK(s.plugins.at("mcu").path == "plugins/mcu.sh");
  CHECK(s.plugins.at("mcu").timeout_s == 30);
  CHECK(s.plugins.at("lib").library);
  const auto& fw2 = s.packages.at("fw-2");
  CHECK(fw2.file == dir.path() / "img.bin");
  CHECK(fw2.sign_method == "SHA256");
  CHECK(fw2.https);
  const auto& fw3 = s.packages.at("fw-3");
  CHECK(fw3.generate_size == 300000);
  CHECK(fw3.generate_seed == 7);
  CHECK_FALSE(fw3.https);
  CHECK(fw3.faults.drop_at_byte == 1000u);
  CHECK(fw3.faults.drop_times == 2);
  CHECK(fw3.faults.status == 500);
  CHECK(fw3.faults.ignore_range);
  CHECK(fw3.wrong_digest);
  CHECK(fw3.faults.rate_bytes_per_s == 100);
  CHECK(fw3.faults.stall_at_byte == 10);
  CHECK(fw3.faults.stall_after_bytes_ms == 20ms);
  CHECK(fw3.ext_data == json({{"a", 1}, {"b", "x"}}));
  CHECK(fw3.module == "mcu");
  const auto& device = s.devices.at(0);
  CHECK(device.gateway_side.version == "1.0.0");
  CHECK(*device.gateway_side.params == json({{"target_dir", "${work}/d1"}, {"n", 5}, {"flag", true}, {"quoted", "5"}}));
  REQUIRE(device.modules.size() == 2);
  CHECK(device.modules[0].package == "fw-2");
  CHECK(device.modules[1].gateway_side.plugin == "lib");
  REQUIRE(s.expect.size() == 2);
  CHECK(s.expect[1].module == "mcu");
  CHECK(s.expect[1].result == "failed");
}

TEST_CASE("scenario errors in packages, references and expectations name the key", "[unit][cloudsim]") {
  const auto load = parse_scenario(std::string(kGateway) + R"(
packages:
  both: {version: "1", file: x.bin, generate: {size: 1}}
  gone: {version: "1", file: /nonexistent/x.bin}
  odd: {version: "1", generate: {size: 0}, signMethod: crc32, scheme: ftp, faults: {stall_ms: 5, nope: 1}}
  mcu-only: {version: "1", generate: {size: 5}, module: mcu}
devices:
  - product_key: p
    device_name: d
    device_secret: s
    plugin: missing
    modules:
      default: {package: nothing}
      other: {package: mcu-only}
      mcu: {package: mcu-only, firmware: {version: "1", size: 1, url: u, signMethod: Md5, sign: "00000000000000000000000000000000"}}
expect:
  - {device: nobody, version: "1"}
  - {device: d}
  - {device: d, step: "-7"}
)");
  const auto text = errors_of(load);
  INFO(text);
  CHECK_FALSE(load.scenario);
  CHECK(has_error(text, "packages.both.generate", "exactly one of file and generate"));
  CHECK(has_error(text, "packages.gone.file", "not a readable regular file"));
  CHECK(has_error(text, "packages.odd.generate.size"));
  CHECK(has_error(text, "packages.odd.signMethod"));
  CHECK(has_error(text, "packages.odd.scheme"));
  CHECK(has_error(text, "packages.odd.faults.stall_ms", "go together"));
  CHECK(has_error(text, "packages.odd.faults.nope", "unknown key"));
  CHECK(has_error(text, "devices[0].plugin", "no plugin 'missing'"));
  CHECK(has_error(text, "devices[0].modules.default.package", "no package 'nothing'"));
  CHECK(has_error(text, "devices[0].modules.other.package", "package 'mcu-only' is for module 'mcu'"));
  CHECK(has_error(text, "devices[0].modules.mcu.package", "give either firmware or package"));
  CHECK(has_error(text, "expect[0].device", "no device 'nobody'"));
  CHECK(has_error(text, "expect[1]", "at least one of version, step, result"));
  CHECK(has_error(text, "expect[2].step"));
}

TEST_CASE("outcomes: upgraded only on inform, failure steps, no offers once installed", "[unit][cloudsim]") {
  auto load = parse_scenario(kOtaScenario);
  INFO(errors_of(load));
  REQUIRE(load.scenario);
  NullOutbox outbox;
  Platform platform(*load.scenario, outbox);
  const auto send = [&](const std::string& topic, const json& message) { platform.on_message(topic, message.dump()); };
  send("/ext/session/a1GwProd01/gw-0001/combine/batch_login",
       {{"id", "1"},
        {"params",
         {{"signMethod", "hmacSha256"},
          {"deviceList", json::array({subdevice_entry("p1", "dev-up", "s1", false),
                                      subdevice_entry("p1", "dev-bad", "s2", false),
                                      subdevice_entry("p1", "dev-none", "s3", false),
                                      subdevice_entry("p1", "dev-cur", "s4", false)})}}}});
  REQUIRE(outbox.sent.back().second["code"] == 200);

  // dev-up: offered, downloads, is not upgraded before it informs.
  send("/ota/device/inform/p1/dev-up", inform("1.0.0"));
  send("/sys/p1/dev-up/thing/ota/firmware/get", query("2"));
  CHECK(outbox.sent.back().second["data"]["version"] == "2.0.0");
  send("/ota/device/progress/p1/dev-up", progress("40"));
  auto up = module_outcome(*platform.state().devices.all().data(), kDefaultModule);
  CHECK(up.result == Result::offered);
  CHECK(up.phase == Phase::downloading);
  CHECK(up.progress == 40);
  send("/ota/device/progress/p1/dev-up", progress("100"));
  CHECK(module_outcome(platform.state().devices.all()[0], kDefaultModule).phase == Phase::flashing);
  send("/ota/device/inform/p1/dev-up", inform("2.0.0"));
  up = module_outcome(platform.state().devices.all()[0], kDefaultModule);
  CHECK(up.result == Result::upgraded);
  CHECK(up.from == "1.0.0");
  CHECK(up.to == "2.0.0");
  // Installed: the platform offers it no more.
  send("/sys/p1/dev-up/thing/ota/firmware/get", query("3"));
  CHECK(outbox.sent.back().second["data"] == json::object());

  // dev-bad: refused with -3.
  send("/ota/device/inform/p1/dev-bad", inform("1.0.0"));
  send("/sys/p1/dev-bad/thing/ota/firmware/get", query("4"));
  send("/ota/device/progress/p1/dev-bad", progress("-3"));
  const auto bad = module_outcome(platform.state().devices.all()[1], kDefaultModule);
  CHECK(bad.result == Result::failed);
  CHECK(bad.failure_step == "-3");
  CHECK(result_text(bad) == "failed -3 (verification failed)");

  // dev-none: nothing to offer; dev-cur reports the firmware's version first: never offered.
  send("/sys/p1/dev-none/thing/ota/firmware/get", query("5"));
  send("/ota/device/inform/p1/dev-cur", inform("2.0.0"));
  send("/sys/p1/dev-cur/thing/ota/firmware/get", query("6"));
  CHECK(outbox.sent.back().second["data"] == json::object());

  const auto judged = judge_expectations(platform.state());
  REQUIRE(judged.size() == 5);
  CHECK(judged[0].met);
  CHECK(judged[1].met);
  CHECK(judged[2].met);
  CHECK(judged[3].met);
  CHECK_FALSE(judged[4].met);
  CHECK(judged[4].detail.find("last version reported on inform is 1.0.0") != std::string::npos);

  const auto report = make_report(platform.state(), Clock::now());
  CHECK(report["expectations_met"] == false);
  CHECK(report["devices"][0]["version"] == "2.0.0");
  CHECK(report["devices"][0]["result"] == "upgraded");
  CHECK(report["devices"][1]["modules"][0]["step"] == "-3");
  CHECK(report["devices"][2]["result"] == "current");
  CHECK(report["devices"][3]["result"] == "current");
  CHECK(report["expectations"][4]["met"] == false);

  const auto table = final_table(module_outcomes(platform.state()));
  CHECK(table.find("dev-up    1.0.0  2.0.0  upgraded") != std::string::npos);
  CHECK(table.find("dev-none  -      -      up to date") != std::string::npos);
}

TEST_CASE("the otagwd config of a scenario loads with otagwd's own loader", "[unit][cloudsim]") {
  otagw::test_support::TempDir dir;
  std::ofstream(dir.path() / "ca.pem") << "not checked beyond being readable\n";
  const auto load = parse_scenario(std::string(kGateway) + R"(
otagwd: {query_timeout_s: 7, low_speed_timeout_s: 9, download_retry_s: 11, log_level: debug}
plugins:
  mcu: {exec: plugins/sim-mcu, timeout_s: 30, version_timeout_s: 4}
  lib: {library: "${build}/libx.so"}
packages:
  fw-2: {version: "2.0.0", generate: {size: 10}, scheme: http}
devices:
  - product_key: a1SubProd1
    device_name: dev-0001
    device_secret: 'se"cr\et'
    version: "1.0.0"
    params: {target_dir: "${work}/d1", n: 5, flag: true, quoted: "5", list: [a, 2]}
    plugin: mcu
    modules:
      default: {package: fw-2}
      mcu: {version: "0.9", plugin: lib, params: {x: "${scenario}"}}
  - {product_key: a1SubProd1, device_name: dev-0002, device_secret: s2, version: "3", plugin: mcu}
)",
                                   dir.path());
  INFO(errors_of(load));
  REQUIRE(load.scenario);
  OtagwdConfigOptions options;
  options.broker_port = 18830;
  options.state_dir = dir.path() / "state";
  options.download_ca_file = dir.path() / "ca.pem";
  options.scenario_name = "test";
  const auto rendered = render_otagwd_config(*load.scenario, options, make_variables(*load.scenario, dir.path()));
  REQUIRE(rendered.errors.empty());
  const auto file = dir.path() / "gateway.yaml";
  std::ofstream(file) << rendered.text;
  otagw::test_support::make_private(file);  // as `config` and `run` write it
  const auto loaded = otagw::config::load_config_file(file);
  std::string errors;
  for (const auto& e : loaded.errors) errors += e.to_string() + "\n";
  INFO(rendered.text << errors);
  REQUIRE(loaded.config);
  const auto& c = *loaded.config;
  CHECK(c.gateway.product_key == "a1GwProd01");
  CHECK(c.gateway.device_secret.reveal() == "gwsecret");
  CHECK(c.mqtt.host == "127.0.0.1");
  CHECK(c.mqtt.port == 18830);
  CHECK_FALSE(c.mqtt.tls);
  CHECK(c.ota.state_dir == dir.path() / "state");
  CHECK(c.ota.allow_http);
  CHECK(c.ota.download_ca_file == (dir.path() / "ca.pem").string());
  CHECK(c.ota.query_timeout_s == 7);
  CHECK(c.ota.low_speed_timeout_s == 9);
  CHECK(c.ota.download_retry_s == 11);
  CHECK(c.log.level == otagw::config::LogLevel::debug);
  REQUIRE(c.plugins.size() == 2);
  CHECK(c.plugins.at("mcu").path == dir.path() / "plugins/sim-mcu");
  CHECK(c.plugins.at("mcu").timeout_s == 30);
  CHECK(c.plugins.at("mcu").version_timeout_s == 4);
  CHECK(c.plugins.at("lib").kind == otagw::config::PluginConfig::Kind::library);
  CHECK(c.plugins.at("lib").path == std::filesystem::path(OTAGW_BINARY_DIR) / "libx.so");
  REQUIRE(c.subdevices.size() == 3);
  CHECK(c.subdevices[0].device_secret.reveal() == "se\"cr\\et");
  CHECK(c.subdevices[0].module.empty());
  CHECK(c.subdevices[0].version == "1.0.0");
  CHECK(c.subdevices[0].plugin == "mcu");
  CHECK(c.subdevices[0].params ==
        json({{"target_dir", (dir.path() / "d1").string()}, {"n", 5}, {"flag", true}, {"quoted", "5"}, {"list", {"a", 2}}}));
  CHECK(c.subdevices[1].module == "mcu");
  CHECK(c.subdevices[1].version == "0.9");
  CHECK(c.subdevices[1].plugin == "lib");
  CHECK(c.subdevices[1].params == json({{"x", load.scenario->base_dir.string()}}));
  CHECK(c.subdevices[2].device_name == "dev-0002");

  // What otagwd's config needs and the scenario lacks is named.
  auto missing = parse_scenario(std::string(kGateway) + "devices:\n  - {product_key: p, device_name: dddd, device_secret: s}\n");
  REQUIRE(missing.scenario);
  const auto incomplete = render_otagwd_config(*missing.scenario, options, make_variables(*missing.scenario, dir.path()));
  REQUIRE(incomplete.errors.size() == 2);
  CHECK(incomplete.errors[0].find("device p/dddd: no version") != std::string::npos);
  CHECK(incomplete.errors[1].find("device p/dddd: no plugin") != std::string::npos);
}
