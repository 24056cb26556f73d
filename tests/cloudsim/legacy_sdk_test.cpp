// What the vendor's Linkkit v3.2 SDK needs from the simulator (protocol.md §3-4): the
// legacy /ota/device/request query answered on its own topic, `md5` in Md5 offers, the
// single combine/login signed over the clientId as sent; and, end to end, a gateway with
// `_ss=1` in its client id that never subscribes still gets its replies and offers
// (the broker plugin delivers them).
#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "tests/cloudsim/gateway_client.hpp"
#include "tests/cloudsim/sim_process.hpp"
#include "tests/support/mosquitto_broker.hpp"
#include "tests/support/run_with_timeout.hpp"
#include "tools/cloudsim/platform.hpp"
#include "tools/cloudsim/report.hpp"
#include "tools/cloudsim/scenario_load.hpp"

using namespace otagw;
using namespace otagw::cloudsim;
using namespace otagw::cloudsim_test;
using namespace std::chrono_literals;
using nlohmann::json;
using otagw::test_support::run_with_timeout;

namespace {

const std::string kMd5 = "0cc175b9c0f1b6a831c399e269772661";
const std::string kSha256 = "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

// ---- the platform logic, with a recording outbox ----

struct Sent {
  std::string topic;
  std::string payload;
  std::chrono::milliseconds delay;
};

class RecordingOutbox final : public Outbox {
 public:
  void publish(std::string topic, std::string payload, std::chrono::milliseconds delay) override {
    sent.push_back(Sent{std::move(topic), std::move(payload), delay});
  }
  std::vector<Sent> sent;
};

const std::string kUnitScenario = R"(
gateway: {product_key: gpk, device_name: gdn, device_secret: gs}
devices:
  - product_key: p
    device_name: md5
    device_secret: s1
    topology: present
    modules:
      default:
        delay_ms: 30
        firmware: {version: "1.1.0", size: 1, url: "http://x/a.bin", signMethod: Md5, sign: ")" +
                                   kMd5 + R"("}
  - product_key: p
    device_name: sha
    device_secret: s2
    topology: present
    modules:
      default:
        firmware: {version: "2.0.0", size: 1, url: "http://x/b.bin", signMethod: SHA256, sign: ")" +
                                   kSha256 + R"("}
  - product_key: p
    device_name: pushed
    device_secret: s3
    topology: present
    modules:
      default:
        query: push
        firmware: {version: "3.0.0", size: 1, url: "http://x/c.bin", signMethod: MD5, sign: ")" +
                                   kMd5 + R"("}
  - product_key: p
    device_name: silent
    device_secret: s4
    topology: present
    modules:
      default:
        query: no_reply
        firmware: {version: "4.0.0", size: 1, url: "http://x/d.bin", signMethod: Md5, sign: ")" +
                                   kMd5 + R"("}
  - {product_key: p, device_name: current, device_secret: s5, topology: present}
)";

Scenario load(const std::string& text) {
  auto loaded = parse_scenario(text);
  for (const auto& e : loaded.errors) FAIL(e.to_string());
  return std::move(*loaded.scenario);
}

struct Harness {
  Harness() : platform(load(kUnitScenario), outbox, t0) {
    json list = json::array();
    for (const auto& [dn, secret] : std::vector<std::pair<std::string, std::string>>{
             {"md5", "s1"}, {"sha", "s2"}, {"pushed", "s3"}, {"silent", "s4"}, {"current", "s5"}}) {
      list.push_back(subdevice_entry("p", dn, secret, false));
    }
    const json login = {{"id", "1"}, {"params", {{"signMethod", "hmacSha256"}, {"deviceList", list}}}};
    platform.on_message("/ext/session/gpk/gdn/combine/batch_login", login.dump(), t0);
    REQUIRE(outbox.sent.size() == 1);
    REQUIRE(json::parse(outbox.sent.back().payload)["code"] == 200);
    outbox.sent.clear();
  }
  // Sends the v3 SDK's query; returns what the platform published for it.
  std::vector<Sent> ask(const std::string& dn, const std::string& version) {
    const std::string payload = R"({"id":"0","params":{"version":")" + version + R"("}})";
    const auto before = outbox.sent.size();
    platform.on_message("/ota/device/request/p/" + dn, payload, t0);
    return {outbox.sent.begin() + static_cast<std::ptrdiff_t>(before), outbox.sent.end()};
  }
  Clock::time_point t0 = Clock::now();
  RecordingOutbox outbox;
  Platform platform;
};

const json& device_in(const json& report, const std::string& dn) {
  for (const auto& device : report.at("devices")) {
    if (device.at("device_name") == dn) return device;
  }
  throw std::runtime_error("device " + dn + " not in the report");
}

}  // namespace

TEST_CASE("the legacy query gets the offer on its own topic in the push's shape, md5 included", "[unit][cloudsim]") {
  Harness h;
  const auto sent = h.ask("md5", "1.0.0");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].topic == "/ota/device/request/p/md5");
  CHECK(sent[0].delay == 30ms);
  const auto offer = json::parse(sent[0].payload);
  CHECK(offer["code"] == "1000");
  CHECK(offer["message"] == "success");
  CHECK(offer["id"].is_number_integer());
  CHECK(offer["data"]["version"] == "1.1.0");
  CHECK(offer["data"]["signMethod"] == "Md5");
  CHECK(offer["data"]["md5"] == kMd5);
  CHECK(offer["data"]["sign"] == kMd5);
  CHECK_FALSE(offer["data"].contains("module"));

  // The simulator gets its own offer back from the broker: not a request, no answer.
  h.platform.on_message(sent[0].topic, sent[0].payload, h.t0);
  CHECK(h.outbox.sent.size() == 1);

  const auto report = make_report(h.platform.state(), h.t0 + 1s);
  const auto& device = device_in(report, "md5");
  REQUIRE(device["queries"].size() == 1);
  CHECK(device["queries"][0]["module"] == "default");
  CHECK(report["counters"]["queries"] == 1);
  CHECK(h.platform.state().violations.total() == 0);
}

TEST_CASE("the legacy query records the version and offers nothing once it is installed", "[unit][cloudsim]") {
  Harness h;
  // No firmware in the scenario: no message at all (not even "data":{}).
  CHECK(h.ask("current", "0.9.0").empty());
  // The device reports the firmware's version in its query: done, nothing more.
  CHECK(h.ask("md5", "1.1.0").empty());
  CHECK(h.ask("md5", "1.1.0").empty());
  const auto report = make_report(h.platform.state(), h.t0 + 1s);
  const auto& current = device_in(report, "current");
  REQUIRE(current["informs"].size() == 1);
  CHECK(current["informs"][0]["version"] == "0.9.0");
  CHECK(current["informs"][0]["module"] == "default");
  CHECK(device_in(report, "md5")["informs"].size() == 2);
  CHECK(h.platform.state().violations.total() == 0);
}

TEST_CASE("the legacy query follows the module's query mode", "[unit][cloudsim]") {
  Harness h;
  const auto pushed = h.ask("pushed", "1.0.0");
  REQUIRE(pushed.size() == 1);
  CHECK(pushed[0].topic == "/ota/device/upgrade/p/pushed");
  CHECK(json::parse(pushed[0].payload)["data"]["md5"] == kMd5);  // "MD5" spelling too
  CHECK(h.ask("silent", "1.0.0").empty());
  // A SHA-256 offer carries no md5 (the v3.2 SDK drops it: protocol.md §5).
  const auto sha = h.ask("sha", "1.0.0");
  REQUIRE(sha.size() == 1);
  CHECK_FALSE(json::parse(sha[0].payload)["data"].contains("md5"));
  // Two offers, two different push ids.
  const auto again = h.ask("sha", "1.0.0");
  REQUIRE(again.size() == 1);
  CHECK(json::parse(again[0].payload)["id"] != json::parse(sha[0].payload)["id"]);
}

TEST_CASE("odd legacy queries are violations, never answers or exceptions", "[unit][cloudsim]") {
  Harness h;
  const auto before = h.outbox.sent.size();
  h.platform.on_message("/ota/device/request/p/unknown", R"({"id":"0","params":{"version":"1"}})", h.t0);
  h.platform.on_message("/ota/device/request/p/current", "not json", h.t0);
  h.platform.on_message("/ota/device/request/p/current", R"({"id":"0","params":{"version":7}})", h.t0);
  h.platform.on_message("/ota/device/request/p/current", R"({"id":"0"})", h.t0);
  h.platform.on_message("/ota/device/request/gpk/gdn", R"({"id":"0","params":{"version":"1.0.0"}})", h.t0);
  h.platform.on_message("/ota/device/request/p", R"({"id":"0"})", h.t0);  // not a request topic
  CHECK(h.outbox.sent.size() == before);
  CHECK(h.platform.state().violations.total() == 6);
}

TEST_CASE("the v3.2 single login: clientId with extras signed as sent, cleanSession true, boot-time ms",
          "[unit][cloudsim]") {
  RecordingOutbox outbox;
  const auto t0 = Clock::now();
  Platform platform(load(kUnitScenario), outbox, t0);
  const std::string client_id = "p.md5|_ss=1,_v=sdk-c-3.2.0|";
  json single = {{"id", "5"},
                 {"version", "1.0"},
                 {"method", "combine.login"},
                 {"params",
                  {{"productKey", "p"},
                   {"deviceName", "md5"},
                   {"clientId", client_id},
                   {"timestamp", "12345"},
                   {"signMethod", "hmacSha256"},
                   {"sign", subdevice_sign("p", "md5", "s1", "12345", client_id)},
                   {"cleanSession", "true"}}}};
  platform.on_message("/ext/session/gpk/gdn/combine/login", single.dump(), t0);
  REQUIRE(outbox.sent.size() == 1);
  CHECK(outbox.sent[0].topic == "/ext/session/gpk/gdn/combine/login_reply");
  CHECK(json::parse(outbox.sent[0].payload)["code"] == 200);
  CHECK(json::parse(outbox.sent[0].payload)["id"] == "5");

  // The same request signed over the bare `{pk}.{dn}`: the sign must cover the clientId as sent.
  single["id"] = "6";
  single["params"]["sign"] = subdevice_sign("p", "md5", "s1", "12345", "p.md5");
  platform.on_message("/ext/session/gpk/gdn/combine/login", single.dump(), t0);
  REQUIRE(outbox.sent.size() == 2);
  CHECK(json::parse(outbox.sent[1].payload)["code"] == 460);
  const auto report = make_report(platform.state(), t0 + 1s);
  CHECK(device_in(report, "md5")["online"] == true);
  CHECK(device_in(report, "md5")["logins"] == 1);
}

// ---- end to end: a Linkkit-v3.2-like gateway against the real binary and broker ----

namespace {

const std::string kGwPk = "a1GwProd01";
const std::string kGwDn = "gw-sdk";
const std::string kGwSecret = "gwSecret0123456789abcdef";
const std::string kPlatformUser = "otagw-cloudsim";
const std::string kPlatformPassword = "platform-secret-1";

std::filesystem::path make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "otagw-legacy-sdk-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

std::string e2e_scenario() {
  return "gateway: {product_key: " + kGwPk + ", device_name: " + kGwDn + ", device_secret: \"" + kGwSecret +
         "\"}\n" + kUnitScenario.substr(kUnitScenario.find("devices:"));
}

}  // namespace

TEST_CASE("an _ss=1 gateway that never subscribes logs in, queries the legacy way and gets its offer",
          "[integration][cloudsim]") {
  const auto dir = make_temp_dir();
  {
    std::ofstream out(dir / "scenario.yaml");
    out << e2e_scenario();
  }
  test_support::BrokerOptions options;
  options.auth = true;
  options.devices = {{kGwPk, kGwDn, kGwSecret}};
  options.platform_username = kPlatformUser;
  options.platform_password = kPlatformPassword;
  test_support::MosquittoBroker broker(options);
  SimProcess sim({"serve", "--scenario", (dir / "scenario.yaml").string(), "--broker-host", "127.0.0.1",
                  "--broker-port", std::to_string(broker.port()), "--username", kPlatformUser, "--password",
                  kPlatformPassword, "--report", (dir / "report.json").string()},
                 dir / "sim.err");
  const bool ready = sim.wait_for_line("ready", 10s);
  INFO(sim.stderr_text());
  REQUIRE(ready);

  asio::io_context io;
  asio::thread_pool pool{1};
  GatewayClient gw(io, pool.get_executor(), broker.port(), kGwPk, kGwDn, kGwSecret, ",_ss=1,_v=sdk-c-3.2.0");
  const std::string login_topic = "/ext/session/" + kGwPk + "/" + kGwDn + "/combine/login";
  const std::string request_md5 = "/ota/device/request/p/md5";
  const std::string request_current = "/ota/device/request/p/current";
  const std::string get_current = "/sys/p/current/thing/ota/firmware/get";
  run_with_timeout(io, [&]() -> asio::awaitable<void> {
    std::vector<std::string> none;
    co_await gw.connect(none);  // like the SDK: no SUBSCRIBE at all

    const std::vector<std::pair<std::string, std::string>> sdk_devices = {{"md5", "s1"}, {"current", "s5"}};
    for (const auto& [dn, secret] : sdk_devices) {
      const std::string client_id = "p." + dn + "|_ss=1,_v=sdk-c-3.2.0|";
      const std::string id = dn == "md5" ? "11" : "12";
      json single = {{"id", id},
                     {"version", "1.0"},
                     {"method", "combine.login"},
                     {"params",
                      {{"productKey", "p"},
                       {"deviceName", dn},
                       {"clientId", client_id},
                       {"timestamp", "12345"},
                       {"signMethod", "hmacSha256"},
                       {"sign", subdevice_sign("p", dn, secret, "12345", client_id)},
                       {"cleanSession", "true"}}}};
      auto reply = co_await gw.request(login_topic, single);
      REQUIRE(reply);
      CHECK((*reply)["code"] == 200);
    }

    const std::string query = R"({"id":"0","params":{"version":"1.0.0"}})";
    co_await gw.publish(request_md5, query);
    auto offer = co_await gw.next_on(request_md5, 5s);
    REQUIRE(offer);
    const auto data = json::parse(offer->payload);
    CHECK(data["code"] == "1000");
    CHECK(data["data"]["version"] == "1.1.0");
    CHECK(data["data"]["md5"] == kMd5);
    // Exactly once: the broker plugin does not duplicate it, the simulator does not answer itself.
    auto twice = co_await gw.next_on(request_md5, 500ms);
    CHECK_FALSE(twice);

    // No offer: no message.
    co_await gw.publish(request_current, query);
    auto nothing = co_await gw.next_on(request_current, 700ms);
    CHECK_FALSE(nothing);

    // The Link SDK 4.x query reaches it too, without a subscription.
    json get = {{"id", "77"}, {"version", "1.0"}, {"params", json::object()}, {"method", "thing.ota.firmware.get"}};
    auto get_reply = co_await gw.request(get_current, get);
    REQUIRE(get_reply);
    CHECK((*get_reply)["data"] == json::object());

    // The new version reported: no more offers.
    const std::string inform = R"({"id":"2","params":{"version":"1.1.0"}})";
    const std::string inform_topic = "/ota/device/inform/p/md5";
    co_await gw.publish(inform_topic, inform);
    co_await test_support::sleep_for(200ms);
    const std::string query_new = R"({"id":"0","params":{"version":"1.1.0"}})";
    co_await gw.publish(request_md5, query_new);
    auto after = co_await gw.next_on(request_md5, 700ms);
    CHECK_FALSE(after);
    gw.session().stop();
  }());
  pool.stop();
  pool.join();

  const auto status = sim.signal_and_wait(SIGTERM, 10s);
  REQUIRE(status == 0);
  std::ifstream in(dir / "report.json");
  REQUIRE(in);
  const auto report = json::parse(in);
  const auto& md5 = device_in(report, "md5");
  CHECK(md5["online"] == true);
  CHECK(md5["queries"].size() == 2);
  REQUIRE(md5["informs"].size() == 3);  // two legacy queries and one inform
  CHECK(md5["informs"][2]["version"] == "1.1.0");
  CHECK(report["violations"].empty());
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}
