// Buses in the simulator: the scenario's bus and flash_seconds (loading,
// errors, the otagwd config written from them), flashes on two buses at
// once as the platform sees them (flash_overlap.hpp, the flashes_overlap
// expectation, the report), and the live table with many jobs at once.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "config/load.hpp"
#include "tests/cloudsim/gateway_client.hpp"
#include "tests/support/temp_dir.hpp"
#include "tools/cloudsim/flash_overlap.hpp"
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
const char* const kPlugin = "plugins:\n  sim-mcu: {exec: /bin/true}\n";

std::string errors_of(const ScenarioLoad& load) {
  std::string text;
  for (const auto& e : load.errors) text += e.to_string() + "\n";
  return text;
}

// A line of `text` that starts with `path` (then " (line N): ") and holds `message`.
bool has_error(const std::string& text, const std::string& path, const std::string& message = {}) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(path + " (line") && line.find(message) != std::string::npos) return true;
  }
  return false;
}

Scenario load_ok(const std::string& text) {
  auto load = parse_scenario(text);
  INFO(errors_of(load));
  REQUIRE(load.scenario);
  return std::move(*load.scenario);
}

std::string render(const Scenario& scenario) {
  OtagwdConfigOptions options;
  options.broker_port = 18830;
  options.state_dir = "/tmp/state";
  options.scenario_name = "test";
  const auto rendered = render_otagwd_config(scenario, options, make_variables(scenario, "/tmp"));
  std::string errors;
  for (const auto& e : rendered.errors) errors += e + "\n";
  INFO(errors);
  REQUIRE(rendered.errors.empty());
  return rendered.text;
}

// The subdevices: entries of a rendered config, one string each.
std::vector<std::string> entries(const std::string& config) {
  std::vector<std::string> out;
  std::istringstream lines(config.substr(config.find("subdevices:\n")));
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("  - ")) out.emplace_back();
    if (!out.empty()) out.back() += line + "\n";
  }
  return out;
}

class NullOutbox final : public Outbox {
 public:
  void publish(std::string, std::string, std::chrono::milliseconds) override {}
};

// A platform whose messages arrive at chosen times (t_ms from its start).
class TimedPlatform {
 public:
  explicit TimedPlatform(const Scenario& scenario) : platform_(scenario, outbox_, start_) {
    json list = json::array();
    for (const auto& device : scenario.devices) {
      list.push_back(subdevice_entry(device.product_key, device.device_name, device.device_secret.reveal(), false));
    }
    send(0, "/ext/session/a1GwProd01/gw-0001/combine/batch_login",
         {{"id", "1"}, {"params", {{"signMethod", "hmacSha256"}, {"deviceList", list}}}});
  }

  void send(std::int64_t t_ms, const std::string& topic, const json& message) {
    platform_.on_message(topic, message.dump(), start_ + std::chrono::milliseconds(t_ms));
  }
  // The device informs 1.0.0 and queries: offered 2.0.0.
  void offer(const std::string& device, std::int64_t t_ms) {
    send(t_ms, "/ota/device/inform/p1/" + device, {{"id", "1"}, {"params", {{"version", "1.0.0"}}}});
    send(t_ms, "/sys/p1/" + device + "/thing/ota/firmware/get",
         {{"id", "2"}, {"params", json::object()}, {"method", "thing.ota.firmware.get"}});
  }
  // An offer, then the download to 100 at `downloaded`.
  void download(const std::string& device, std::int64_t offered, std::int64_t downloaded) {
    offer(device, offered);
    step(device, offered + 1, "10");
    step(device, downloaded, "100");
  }
  void step(const std::string& device, std::int64_t t_ms, const std::string& step) {
    send(t_ms, "/ota/device/progress/p1/" + device, {{"id", "3"}, {"params", {{"step", step}, {"desc", "d"}}}});
  }
  void inform(const std::string& device, std::int64_t t_ms, const std::string& version) {
    send(t_ms, "/ota/device/inform/p1/" + device, {{"id", "4"}, {"params", {{"version", version}}}});
  }
  [[nodiscard]] const SimState& state() const { return platform_.state(); }

 private:
  Clock::time_point start_ = Clock::now();
  NullOutbox outbox_;
  Platform platform_;
};

const std::string kFirmware =
    R"({firmware: {version: "2.0.0", size: 10, url: "https://x/a", signMethod: SHA256, sign: ")" + std::string(64, 'a') +
    R"("}})";

// d1 and d3 on uart0, d2 on uart1, d4 on no bus of its own.
std::string three_bus_scenario(const std::string& expect) {
  std::string text = std::string(kGateway) + "devices:\n";
  for (const auto& [name, bus] : std::vector<std::pair<std::string, std::string>>{
           {"d1", "uart0"}, {"d2", "uart1"}, {"d3", "uart0"}, {"d4", ""}}) {
    text += "  - {product_key: p1, device_name: " + name + ", device_secret: s-" + name + ", topology: present" +
            (bus.empty() ? "" : ", bus: " + bus) + ", modules: {default: " + kFirmware + "}}\n";
  }
  return text + "expect:\n" + expect;
}

const ModuleOutcome& row_of(const std::vector<ModuleOutcome>& rows, const std::string& device) {
  for (const auto& row : rows) {
    if (row.device_name == device) return row;
  }
  FAIL("no row " << device);
  return rows.front();
}

std::string read_back(std::FILE* file) {
  std::fflush(file);
  std::rewind(file);
  std::string text;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof(buffer), file)) > 0;) text.append(buffer, n);
  return text;
}

}  // namespace

TEST_CASE("bus and flash_seconds load per device, generate entry and module", "[unit][cloudsim]") {
  const auto s = load_ok(std::string(kGateway) + kPlugin + R"(
devices:
  - {product_key: p1, device_name: dev-1, device_secret: s1, version: "1", bus: uart0, flash_seconds: 1.5}
  - product_key: p1
    device_name: dev-2
    device_secret: s2
    version: "1"
    bus: can-0.1
    flash_seconds: 2
    modules:
      default: {}
      mcu: {flash_seconds: 0.25}
  - {product_key: p1, device_name: dev-3, device_secret: s3, version: "1"}
generate:
  - {count: 5, product_key: p2, name_format: "g-%d", secret_format: "s%d", version: "1", bus: [a, b, c], flash_seconds: 0}
  - {count: 2, product_key: p3, name_format: "h-%d", secret_format: "s%d", version: "1", bus: one}
)");
  REQUIRE(s.devices.size() == 10);
  CHECK(s.devices[0].bus == "uart0");
  CHECK(s.devices[0].gateway_side.flash_ms == 1500);
  CHECK(s.devices[1].bus == "can-0.1");
  CHECK(s.devices[1].gateway_side.flash_ms == 2000);
  REQUIRE(s.devices[1].modules.size() == 2);
  CHECK_FALSE(s.devices[1].modules[0].gateway_side.flash_ms);
  CHECK(s.devices[1].modules[1].gateway_side.flash_ms == 250);
  CHECK(s.devices[2].bus.empty());
  CHECK_FALSE(s.devices[2].gateway_side.flash_ms);
  // A generate entry's list: the devices take the buses in turn.
  std::vector<std::string> generated;
  for (std::size_t i = 3; i < 8; ++i) generated.push_back(s.devices[i].bus);
  CHECK(generated == std::vector<std::string>{"a", "b", "c", "a", "b"});
  CHECK(s.devices[3].gateway_side.flash_ms == 0);
  CHECK(s.devices[8].bus == "one");
  CHECK(s.devices[9].bus == "one");
}

TEST_CASE("bad bus and flash_seconds values are errors naming the key", "[unit][cloudsim]") {
  const auto load = parse_scenario(std::string(kGateway) + kPlugin + R"(
devices:
  - {product_key: p1, device_name: d1, device_secret: s, bus: "ua rt/0"}
  - {product_key: p1, device_name: d2, device_secret: s, bus: [a, b]}
  - {product_key: p1, device_name: d3, device_secret: s, modules: {mcu: {bus: uart1}}}
  - {product_key: p1, device_name: d4, device_secret: s, flash_seconds: "2"}
  - {product_key: p1, device_name: d5, device_secret: s, flash_seconds: -1}
  - {product_key: p1, device_name: d6, device_secret: s, flash_seconds: 2s}
  - {product_key: p1, device_name: d7, device_secret: s, flash_seconds: 1e9}
  - {product_key: p1, device_name: d8, device_secret: s, flash_seconds: 1, params: {flash_ms: 5}}
  - {product_key: p1, device_name: d9, device_secret: s, bus: ""}
  - {product_key: p1, device_name: d10, device_secret: s, bus: a-bus-name-of-thirty-three-chars3}
generate:
  - {count: 2, product_key: p2, name_format: "g-%d", secret_format: "s%d", bus: []}
  - {count: 2, product_key: p3, name_format: "g-%d", secret_format: "s%d", bus: [a, {x: 1}]}
)");
  const auto text = errors_of(load);
  INFO(text);
  CHECK_FALSE(load.scenario);
  CHECK(has_error(text, "devices[0].bus", "invalid value 'ua rt/0': expected 1-32 characters of letters, digits and _ . -"));
  CHECK(has_error(text, "devices[1].bus", "expected a bus name, got a list"));
  CHECK(has_error(text, "devices[2].modules.mcu.bus", "a device's modules share its bus: give bus: to the device"));
  CHECK(has_error(text, "devices[3].flash_seconds", "got the quoted string '2'"));
  CHECK(has_error(text, "devices[4].flash_seconds", "must be between 0 and 86400 seconds, got -1"));
  CHECK(has_error(text, "devices[5].flash_seconds", "expected a number of seconds (decimals allowed, e.g. 1.5), got '2s'"));
  CHECK(has_error(text, "devices[6].flash_seconds", "must be between 0 and 86400 seconds"));
  CHECK(has_error(text, "devices[7].flash_seconds", "give flash_seconds or params.flash_ms, not both"));
  CHECK(has_error(text, "devices[8].bus", "expected 1-32 characters"));
  CHECK(has_error(text, "devices[9].bus", "expected 1-32 characters"));
  CHECK(has_error(text, "generate[0].bus", "expected at least one bus name"));
  CHECK(has_error(text, "generate[1].bus", "expected a bus name or a list of them, got a map"));
}

TEST_CASE("the otagwd config carries each device's bus on every module entry and flash_seconds as flash_ms",
          "[unit][cloudsim]") {
  const auto scenario = load_ok(std::string(kGateway) + kPlugin + R"(
devices:
  - product_key: p1
    device_name: dev-1
    device_secret: s1
    version: "1"
    bus: uart0
    flash_seconds: 1.25
    params: {target_dir: /tmp/d1}
    modules:
      default: {}
      mcu: {flash_seconds: 0.5, params: {target_dir: /tmp/d1-mcu}}
      radio: {params: {target_dir: /tmp/d1-radio, flash_ms: 7}}
  - {product_key: p1, device_name: dev-2, device_secret: s2, version: "1", params: {flash_ms: 300}}
)");
  const auto config = render(scenario);
  INFO(config);
  const auto list = entries(config);
  REQUIRE(list.size() == 4);
  for (std::size_t i = 0; i < 3; ++i) CHECK(list[i].find("    bus: \"uart0\"\n") != std::string::npos);
  CHECK(list[0].find(R"(params: {"flash_ms":1250,"target_dir":"/tmp/d1"})") != std::string::npos);
  CHECK(list[1].find(R"(params: {"flash_ms":500,"target_dir":"/tmp/d1-mcu"})") != std::string::npos);
  // The device's flash_seconds beats what a module's params say.
  CHECK(list[2].find(R"(params: {"flash_ms":1250,"target_dir":"/tmp/d1-radio"})") != std::string::npos);
  // No bus: otagwd's default bus, so no key; params as given.
  CHECK(list[3].find("bus:") == std::string::npos);
  CHECK(list[3].find(R"(params: {"flash_ms":300})") != std::string::npos);

  // What otagwd itself reads from it.
  otagw::test_support::TempDir dir;
  const auto file = dir.path() / "gateway.yaml";
  std::ofstream(file) << config;
  otagw::test_support::make_private(file);
  const auto loaded = otagw::config::load_config_file(file);
  std::string errors;
  for (const auto& e : loaded.errors) errors += e.to_string() + "\n";
  INFO(errors);
  REQUIRE(loaded.config);
  const auto& subdevices = loaded.config->subdevices;
  REQUIRE(subdevices.size() == 4);
  CHECK(subdevices[0].bus == "uart0");
  CHECK(subdevices[1].bus == "uart0");
  CHECK(subdevices[2].bus == "uart0");
  CHECK(subdevices[3].bus == "default");
  CHECK(subdevices[1].params["flash_ms"] == 500);
}

TEST_CASE("flashes_overlap expectations load, and their errors name the key", "[unit][cloudsim]") {
  const auto s = load_ok(three_bus_scenario("  - {flashes_overlap: [uart0, uart1], min_seconds: 0.5}\n"
                                            "  - {flashes_overlap: [default, uart1]}\n"));
  REQUIRE(s.expect.size() == 2);
  CHECK(s.expect[0].is_overlap());
  CHECK(s.expect[0].overlap_buses == std::vector<std::string>{"uart0", "uart1"});
  CHECK(s.expect[0].overlap_min_ms == 500);
  CHECK(s.expect[1].overlap_min_ms == 0);
  CHECK(expectation_text(s.expect[0]) == "flashes on uart0 and uart1 overlapped (over 0.5 s)");

  const auto load = parse_scenario(three_bus_scenario(R"(
  - {flashes_overlap: [uart0]}
  - {flashes_overlap: [uart0, uart0]}
  - {flashes_overlap: [uart0, can9]}
  - {flashes_overlap: [uart0, uart1], device: d1}
  - {min_seconds: 1}
  - {flashes_overlap: [uart0, uart1], min_seconds: soon}
)"));
  const auto text = errors_of(load);
  INFO(text);
  CHECK(has_error(text, "expect[0].flashes_overlap", "expected a list of two bus names, got a list"));
  CHECK(has_error(text, "expect[1].flashes_overlap", "two different buses"));
  CHECK(has_error(text, "expect[2].flashes_overlap", "no device on bus 'can9'"));
  CHECK(has_error(text, "expect[3].device", "no device keys"));
  CHECK(has_error(text, "expect[4].flashes_overlap", "missing required key (min_seconds goes with flashes_overlap)"));
  CHECK(has_error(text, "expect[5].min_seconds", "expected a number of seconds"));
}

TEST_CASE("flash overlap across buses as the platform sees it, and the expectation judged on it", "[unit][cloudsim]") {
  const auto scenario = load_ok(three_bus_scenario("  - {flashes_overlap: [uart0, uart1], min_seconds: 1.2}\n"
                                                   "  - {flashes_overlap: [uart0, uart1], min_seconds: 2}\n"
                                                   "  - {flashes_overlap: [default, uart0]}\n"));
  TimedPlatform platform(scenario);
  // d1 (uart0) flashes 1000..3000; d3 (uart0) is downloaded at 1200 but
  // waits for uart0 until 3000, flashes to 4500; d2 (uart1) 1500..3500; d4
  // (default) fails at 5000 after 100 at 4800.
  platform.download("d1", 10, 1000);
  platform.download("d3", 20, 1200);
  platform.download("d2", 30, 1500);

  auto rows = module_outcomes(platform.state());
  CHECK(row_of(rows, "d1").phase == Phase::flashing);
  CHECK(row_of(rows, "d1").bus == "uart0");
  CHECK(row_of(rows, "d3").phase == Phase::bus_wait);
  CHECK(row_of(rows, "d2").phase == Phase::flashing);
  CHECK(result_text(row_of(rows, "d3")) == "downloaded, waiting for its bus");
  CHECK(row_of(rows, "d4").bus == "default");

  platform.inform("d1", 3000, "2.0.0");
  rows = module_outcomes(platform.state());
  CHECK(row_of(rows, "d3").phase == Phase::flashing);  // uart0 is free now
  platform.inform("d2", 3500, "2.0.0");
  platform.inform("d3", 4500, "2.0.0");
  platform.download("d4", 4600, 4800);
  platform.step("d4", 5000, "-4");

  const auto spans = flash_spans(platform.state().devices.all());
  REQUIRE(spans.size() == 4);
  CHECK(spans[0].label == "d1");
  CHECK(spans[0].start_ms == 1000);
  CHECK(spans[0].end_ms == 3000);
  CHECK(spans[1].label == "d2");
  CHECK(spans[2].label == "d3");
  CHECK(spans[2].start_ms == 3000);  // cut: it waited for uart0 until d1 was done
  CHECK(spans[2].end_ms == 4500);
  CHECK(spans[3].label == "d4");
  CHECK(spans[3].start_ms == 4800);
  CHECK(spans[3].end_ms == 5000);

  const auto longest = longest_overlap(spans);
  REQUIRE(longest);
  CHECK(longest->ms == 1500);
  CHECK(overlap_text(*longest) == "1.5 s (d1 on uart0, d2 on uart1)");
  CHECK_FALSE(longest_overlap(spans, {"default", "uart0"}));

  const auto judged = judge_expectations(platform.state());
  REQUIRE(judged.size() == 3);
  CHECK(judged[0].met);
  CHECK_FALSE(judged[1].met);
  CHECK(judged[1].detail == "longest overlap 1.5 s (d1 on uart0, d2 on uart1)");
  CHECK_FALSE(judged[2].met);
  CHECK(judged[2].detail == "no flash on default overlapped one on uart0 (one flash at a time)");

  const auto report = make_report(platform.state(), Clock::now());
  CHECK(report["flash_overlap"]["ms"] == 1500);
  CHECK(report["flash_overlap"]["flashes"][0]["device"] == "d1");
  CHECK(report["flash_overlap"]["flashes"][1]["bus"] == "uart1");
  CHECK(report["devices"][0]["bus"] == "uart0");
  CHECK(report["devices"][3]["bus"] == "default");
  CHECK(report["expectations"][0]["flashes_overlap"] == json({"uart0", "uart1"}));
  CHECK(report["expectations"][0]["min_ms"] == 1200);
  CHECK(report["expectations"][0]["met"] == true);
  CHECK(report["expectations"][1]["met"] == false);
  CHECK(report["expectations_met"] == false);
}

TEST_CASE("flashes one after the other never count as an overlap", "[unit][cloudsim]") {
  const auto scenario = load_ok(three_bus_scenario("  - {flashes_overlap: [uart0, uart1]}\n"));
  TimedPlatform platform(scenario);
  platform.download("d1", 10, 1000);
  platform.inform("d1", 2000, "2.0.0");
  platform.download("d2", 2000, 2500);  // starts the moment d1 ended
  platform.inform("d2", 3500, "2.0.0");
  platform.download("d3", 3600, 4000);
  platform.inform("d3", 5000, "2.0.0");
  CHECK(flash_spans(platform.state().devices.all()).size() == 3);
  CHECK_FALSE(longest_overlap(flash_spans(platform.state().devices.all())));
  const auto judged = judge_expectations(platform.state());
  REQUIRE(judged.size() == 1);
  CHECK_FALSE(judged[0].met);
  CHECK(make_report(platform.state(), Clock::now())["flash_overlap"].is_null());
}

TEST_CASE("the live table shows every running job side by side, and only those when all rows do not fit",
          "[unit][cloudsim]") {
  std::vector<ModuleOutcome> rows;
  const auto add = [&](const std::string& name, const std::string& bus, Phase phase, int progress,
                       Result result = Result::offered) {
    ModuleOutcome row;
    row.product_key = "p1";
    row.device_name = name;
    row.module = std::string(kDefaultModule);
    row.bus = bus;
    row.from = "1.0.0";
    row.to = "2.0.0";
    row.phase = phase;
    row.progress = progress;
    row.result = result;
    rows.push_back(row);
  };
  add("done-1", "uart0", Phase::done, 100, Result::upgraded);
  add("done-2", "uart1", Phase::done, -1, Result::current);
  for (int i = 0; i < 10; ++i) {
    add("job-" + std::to_string(i), "uart" + std::to_string(i % 4), i < 4 ? Phase::flashing : Phase::downloading,
        i < 4 ? 100 : 10 * i);
  }
  add("later", "uart1", Phase::waiting, -1, Result::not_seen);

  SECTION("everything fits: every row") {
    const auto lines = live_table(rows, 40);
    REQUIRE(lines.size() == 2 + rows.size());
    CHECK(lines[0] == "10 running (6 downloading, 4 flashing), 1 upgraded, 1 up to date, 1 not checked yet");
    CHECK(lines[1].starts_with("device  bus    from   to     progress"));
    CHECK(lines[2].starts_with("done-1  uart0  1.0.0  2.0.0  [####################] 100%  upgraded"));
    CHECK(lines[8].starts_with("job-4   uart0  1.0.0  2.0.0  [########------------]  40%  downloading"));
    CHECK(lines.back().starts_with("later   uart1"));
  }
  SECTION("too many rows: the running jobs, all ten") {
    const auto lines = live_table(rows, 12);
    REQUIRE(lines.size() == 12);
    for (int i = 0; i < 10; ++i) CHECK(lines[2 + i].starts_with("job-" + std::to_string(i) + " "));
  }
  SECTION("not even those: as many as fit, and how many more") {
    const auto lines = live_table(rows, 8);
    REQUIRE(lines.size() == 8);
    CHECK(lines[2].starts_with("job-0 "));
    CHECK(lines[6].starts_with("job-4 "));
    CHECK(lines[7] == "... and 5 more running");
  }
  SECTION("no bus of their own: no bus column") {
    for (auto& row : rows) row.bus = std::string(kDefaultBus);
    const auto lines = live_table(rows, 40);
    CHECK(lines[1].starts_with("device  from   to     progress"));
  }
}

TEST_CASE("the table drawn live and in plain lines with jobs on several buses", "[unit][cloudsim]") {
  const auto scenario = load_ok(three_bus_scenario("  - {device: d1, result: upgraded}\n"));
  TimedPlatform platform(scenario);
  std::FILE* plain_out = std::tmpfile();
  std::FILE* live_out = std::tmpfile();
  REQUIRE(plain_out != nullptr);
  REQUIRE(live_out != nullptr);
  StatusTable plain(TableMode::plain, plain_out);
  StatusTable live(TableMode::live, live_out, 5);  // counts, header, three rows
  const auto tick = [&] {
    plain.update(module_outcomes(platform.state()));
    live.update(module_outcomes(platform.state()));
  };
  platform.download("d1", 10, 1000);
  platform.download("d3", 20, 1200);
  platform.offer("d2", 30);
  tick();
  platform.step("d2", 40, "10");
  platform.step("d2", 1500, "100");
  tick();
  platform.inform("d1", 3000, "2.0.0");
  tick();
  platform.inform("d2", 3500, "2.0.0");
  platform.inform("d3", 4500, "2.0.0");
  plain.finish(module_outcomes(platform.state()));
  live.finish(module_outcomes(platform.state()));

  const auto said = read_back(plain_out);
  INFO(said);
  CHECK(said.find("d2: offered 1.0.0 -> 2.0.0 (bus uart1)\n") != std::string::npos);
  CHECK(said.find("d1: downloaded, flashing on uart0\n") != std::string::npos);
  CHECK(said.find("d3: downloaded, waiting for its bus uart0\n") != std::string::npos);
  CHECK(said.find("d2: downloaded, flashing on uart1\n") != std::string::npos);
  CHECK(said.find("d3: downloaded, flashing on uart0\n") != std::string::npos);
  CHECK(said.find("d3: upgraded 1.0.0 -> 2.0.0\n") != std::string::npos);
  CHECK(said.find("d3: downloaded, waiting") < said.find("d3: downloaded, flashing"));

  const auto drawn = read_back(live_out);
  // Four drawings; every one after the first goes back up its five lines and
  // clears below what it drew.
  CHECK(drawn.find("3 running (1 offered, 1 flashing, 1 waiting for a bus), 1 not checked yet\n") != std::string::npos);
  CHECK(drawn.find("\x1b[2Kd3      uart0    1.0.0  2.0.0  [####################] 100%  downloaded, waiting for its bus\n") !=
        std::string::npos);
  CHECK(drawn.find("\x1b[5F") != std::string::npos);
  CHECK(drawn.find("\x1b[J") != std::string::npos);
  CHECK(drawn.find("3 upgraded, 1 not checked yet\n") != std::string::npos);

  const auto table = final_table(module_outcomes(platform.state()));
  CHECK(table.find("device  bus      from   to     result\n") == 0);
  CHECK(table.find("d3      uart0    1.0.0  2.0.0  upgraded\n") != std::string::npos);
  CHECK(table.find("d4      default  -      2.0.0  waiting\n") != std::string::npos);
  std::fclose(plain_out);
  std::fclose(live_out);
}
