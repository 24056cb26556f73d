// The platform logic without a broker: a recording outbox and a hand-driven clock.
#include <catch2/catch.hpp>

#include <cctype>
#include <vector>

#include "tests/cloudsim/gateway_client.hpp"
#include "tools/cloudsim/platform.hpp"
#include "tools/cloudsim/report.hpp"
#include "tools/cloudsim/scenario_load.hpp"
#include "transports/platform_sign.hpp"

using namespace otagw::cloudsim;
using nlohmann::json;
using otagw::cloudsim_test::subdevice_entry;
using namespace std::chrono_literals;

namespace {

struct Sent {
  std::string topic;
  json payload;
  std::chrono::milliseconds delay;
};

class RecordingOutbox final : public Outbox {
 public:
  void publish(std::string topic, std::string payload, std::chrono::milliseconds delay) override {
    sent.push_back(Sent{std::move(topic), json::parse(payload), delay});
  }
  std::vector<Sent> sent;
};

Scenario scenario(const std::string& extra) {
  auto load = parse_scenario("gateway: {product_key: gpk, device_name: gdn, device_secret: gs}\n" + extra);
  for (const auto& e : load.errors) FAIL(e.to_string());
  return std::move(*load.scenario);
}

const std::string kLogin = "/ext/session/gpk/gdn/combine/batch_login";

json login(const std::string& id, json list) {
  return {{"id", id}, {"params", {{"signMethod", "hmacSha256"}, {"deviceList", std::move(list)}}}};
}

struct Harness {
  explicit Harness(const std::string& extra) : platform(scenario(extra), outbox, t0) {}
  json send(const std::string& topic, const json& message, Clock::duration at = {}) {
    return send_raw(topic, message.dump(), at);
  }
  json send_raw(const std::string& topic, const std::string& payload, Clock::duration at = {}) {
    const auto before = outbox.sent.size();
    platform.on_message(topic, payload, t0 + at);
    return outbox.sent.size() > before ? outbox.sent.back().payload : json();
  }
  Clock::time_point t0 = Clock::now();
  RecordingOutbox outbox;
  Platform platform;
};

const char* const kDevices = R"(
limits: {login_per_s: 3}
devices:
  - {product_key: p, device_name: a, device_secret: sa, topology: present}
  - {product_key: p, device_name: b, device_secret: sb, topology: present}
)";

}  // namespace

TEST_CASE("login requests over login_per_s in a second are throttled with 429", "[unit][cloudsim]") {
  Harness h(kDevices);
  const auto list = json::array({subdevice_entry("p", "a", "sa", false)});
  for (int i = 0; i < 3; ++i) CHECK(h.send(kLogin, login(std::to_string(i), list), i * 10ms)["code"] == 200);
  const auto throttled = h.send(kLogin, login("9", list), 500ms);
  CHECK(throttled["code"] == 429);
  CHECK(throttled["id"] == "9");
  CHECK(h.outbox.sent.back().topic == kLogin + "_reply");
  // A second after the first one, there is room again.
  CHECK(h.send(kLogin, login("10", list), 1001ms)["code"] == 200);
  const auto report = make_report(h.platform.state(), h.t0 + 2s);
  CHECK(report["counters"]["throttled"] == 1);
  CHECK(report["counters"]["login_requests"] == 5);
  CHECK(report["devices"][0]["logins"] == 4);
}

TEST_CASE("sign checks ignore hex and method case, take hmacSha1 and refuse a foreign clientId", "[unit][cloudsim]") {
  Harness h(kDevices);
  auto entry = subdevice_entry("p", "a", "sa", false);
  std::string upper = entry["sign"];
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  entry["sign"] = upper;
  json request = login("1", {entry});
  request["params"]["signMethod"] = "HMACSHA256";
  CHECK(h.send(kLogin, request)["code"] == 200);

  auto sha1 = subdevice_entry("p", "b", "sb", false);
  sha1["sign"] = otagw::transports::hmac_hex(otagw::transports::SignMethod::hmac_sha1, "sb",
                                             otagw::transports::sign_content("p.b", "p", "b", "1700000000000"));
  request = login("2", {sha1});
  request["params"]["signMethod"] = "hmacsha1";
  CHECK(h.send(kLogin, request)["code"] == 200);

  auto wrong_id = subdevice_entry("p", "a", "sa", false);
  wrong_id["clientId"] = "p.b";
  const auto reply = h.send(kLogin, login("3", {wrong_id}));
  CHECK(reply["code"] == 460);
  CHECK(reply["data"][0]["deviceName"] == "a");
  CHECK(h.platform.state().violations.total() == 0);  // a refused login is not a protocol violation
}

TEST_CASE("topology delete drops the relation and the session, and fails whole on an unknown or absent device",
          "[unit][cloudsim]") {
  Harness h(kDevices + std::string("  - {product_key: p, device_name: c, device_secret: sc}\n"));
  const std::string kDelete = "/sys/gpk/gdn/thing/topo/delete";
  auto remove = [](const std::string& id, std::vector<std::string> names) {
    json params = json::array();
    for (const auto& name : names) params.push_back({{"productKey", "p"}, {"deviceName", name}});
    return json{{"id", id}, {"version", "1.0"}, {"params", std::move(params)}, {"method", "thing.topo.delete"}};
  };
  REQUIRE(h.send(kLogin, login("1", {subdevice_entry("p", "a", "sa", false), subdevice_entry("p", "b", "sb", false)}))["code"] == 200);

  // One device without topology (c) or unknown to the platform (x) fails the
  // request whole: a keeps its relation and stays online.
  auto reply = h.send(kDelete, remove("2", {"a", "c"}));
  CHECK(reply["code"] == 6401);
  CHECK(reply["data"][0]["deviceName"] == "c");
  reply = h.send(kDelete, remove("3", {"x", "a"}));
  CHECK(reply["code"] == 6100);
  CHECK(reply["data"].size() == 1);
  auto device = [&h](const std::string& name) {
    const json report = make_report(h.platform.state(), h.t0 + 1s);
    for (const auto& d : report["devices"]) {
      if (d["device_name"] == name) return d;
    }
    FAIL("no device " << name);
    return json();
  };
  CHECK(device("a")["topology"] == true);
  CHECK(device("a")["online"] == true);

  reply = h.send(kDelete, remove("4", {"a"}));
  CHECK(reply["code"] == 200);
  CHECK(reply["id"] == "4");
  CHECK(h.outbox.sent.back().topic == kDelete + "_reply");
  CHECK(device("a")["topology"] == false);
  CHECK(device("a")["online"] == false);
  CHECK(device("b")["online"] == true);  // the others are left alone

  // Gone: the login is refused until the topology is added again; a second
  // delete finds nothing to delete.
  CHECK(h.send(kLogin, login("5", {subdevice_entry("p", "a", "sa", false)}), 2s)["code"] == 6401);
  CHECK(h.send(kDelete, remove("6", {"a"}), 2s)["code"] == 6401);
  CHECK(h.send(kDelete, remove("7", {}), 2s)["code"] == 460);
  CHECK(h.platform.state().violations.total() == 0);
  CHECK(make_report(h.platform.state(), h.t0 + 3s)["counters"]["topo_delete_requests"] == 5);
}

TEST_CASE("firmware replies echo the id, honour delay_ms and name their module", "[unit][cloudsim]") {
  Harness h(R"(
devices:
  - product_key: p
    device_name: a
    device_secret: sa
    topology: present
    modules:
      mcu:
        delay_ms: 250
        firmware: {version: "2", size: 3, url: "https://x/y", signMethod: MD5, sign: "0123456789abcdef0123456789ABCDEF"}
)");
  const std::string get = "/sys/p/a/thing/ota/firmware/get";
  h.send(kLogin, login("1", {subdevice_entry("p", "a", "sa", false)}));
  const auto reply = h.send(get, {{"id", "42"}, {"params", {{"module", "mcu"}}}, {"method", "thing.ota.firmware.get"}});
  CHECK(reply["id"] == "42");
  CHECK(h.outbox.sent.back().topic == get + "_reply");
  CHECK(h.outbox.sent.back().delay == 250ms);
  CHECK(reply["data"]["module"] == "mcu");
  CHECK(reply["data"]["md5"] == "0123456789abcdef0123456789ABCDEF");
  // The default module is not in the scenario: up to date, at once.
  const auto none = h.send(get, {{"id", "43"}, {"params", json::object()}});
  CHECK(none["data"] == json::object());
  CHECK(h.outbox.sent.back().delay == 0ms);
}

TEST_CASE("a module with alternate: offers the other firmware each time the device reports the offered one", "[unit][cloudsim]") {
  Harness h(R"(
devices:
  - product_key: p
    device_name: a
    device_secret: sa
    topology: present
    modules:
      default:
        firmware: {version: "2.0.0", size: 3, url: "https://x/a", signMethod: SHA256, sign: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}
        alternate: {version: "3.0.0", size: 4, url: "https://x/b", signMethod: SHA256, sign: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}
)");
  const std::string get = "/sys/p/a/thing/ota/firmware/get";
  const std::string inform = "/ota/device/inform/p/a";
  h.send(kLogin, login("1", {subdevice_entry("p", "a", "sa", false)}));
  auto offered = [&](const std::string& id) { return h.send(get, {{"id", id}, {"params", json::object()}})["data"]; };
  auto reports = [&](const std::string& version) { h.send(inform, {{"id", "9"}, {"params", {{"version", version}}}}); };
  reports("1.0.0");
  CHECK(offered("2")["version"] == "2.0.0");
  reports("2.0.0");
  CHECK(offered("3")["version"] == "3.0.0");
  CHECK(offered("4")["url"] == "https://x/b");
  reports("3.0.0");
  CHECK(offered("5")["version"] == "2.0.0");
  reports("2.0.0");
  CHECK(offered("6")["version"] == "3.0.0");
  CHECK(h.platform.state().violations.total() == 0);
  // Without a firmware to alternate with, the scenario is refused.
  const auto load = parse_scenario(
      "gateway: {product_key: gpk, device_name: gdn, device_secret: gs}\n"
      "devices:\n  - {product_key: p, device_name: a, device_secret: sa, modules: {default: {alternate: "
      "{version: \"3\", size: 1, url: \"https://x/b\", signMethod: Md5, sign: \"0123456789abcdef0123456789abcdef\"}}}}\n");
  REQUIRE(load.errors.size() == 1);
  CHECK(load.errors[0].to_string().find("alternate needs a firmware or a package") != std::string::npos);
}

TEST_CASE("odd messages become violations and never exceptions", "[unit][cloudsim]") {
  Harness h(kDevices);
  const std::string get = "/sys/p/a/thing/ota/firmware/get";
  h.send(kLogin, login("1", {subdevice_entry("p", "a", "sa", false)}));
  const auto before = h.outbox.sent.size();
  h.send_raw(get, "");
  h.send_raw(get, "[1,2]");
  h.send_raw(get, R"({"params":{}})");                 // no id: cannot reply
  h.send_raw(get, R"({"id":{"x":1},"params":{}})");    // id of the wrong type: cannot reply
  h.send_raw(kLogin, R"({"id":"5","params":"x"})");    // params of the wrong type: 460
  h.send_raw("/sys/p/zz/thing/ota/firmware/get", R"({"id":"6"})");  // unknown device: no reply
  h.send_raw("/ext/session/other/gw/combine/batch_login", R"({"id":"7","params":{}})");  // another gateway: 6100
  h.send_raw("/ota/device/progress/p/a", R"({"id":0,"params":{"step":"0","desc":""}})");  // v3.2 SDK: fine
  h.send_raw("/ota/device/progress/p/a", R"({"id":"8","params":{"step":-1}})");  // numeric step: noted, kept
  h.send_raw(get, R"({"id":"9","params":{"module":7}})");  // module not a string: 460
  REQUIRE(h.outbox.sent.size() == before + 3);
  CHECK(h.outbox.sent[before].payload["code"] == 460);
  CHECK(h.outbox.sent[before + 1].payload["code"] == 6100);
  CHECK(h.outbox.sent[before + 2].payload["code"] == 460);
  const auto& state = h.platform.state();
  CHECK(state.violations.total() == 9);
  const auto report = make_report(state, h.t0);
  const auto& progress = report["devices"][0]["progress"];
  REQUIRE(progress.size() == 2);
  CHECK(progress[0]["step"] == "0");
  CHECK(progress[0]["module"] == "default");
  CHECK(progress[1]["step"] == "-1");
}
