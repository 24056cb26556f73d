// The real otagw-cloudsim binary against a real mosquitto with the platform
// sign-in plugin; the test plays the gateway over transports::MqttSession.
#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "tests/cloudsim/gateway_client.hpp"
#include "tests/cloudsim/requests.hpp"
#include "tests/cloudsim/sim_process.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/mosquitto_broker.hpp"
#include "tests/support/run_with_timeout.hpp"

using namespace otagw;
using namespace otagw::cloudsim_test;
using namespace std::chrono_literals;
using nlohmann::json;
using otagw::test_support::run_with_timeout;

namespace {

const std::string kPk2 = "a1SubProd2";
const std::string kPlatformUser = "otagw-cloudsim";
const std::string kPlatformPassword = "platform-secret-1";
const std::string kSha256 = "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";
const std::string kMd5 = "0cc175b9c0f1b6a831c399e269772661";

const std::string kScenario = R"(
gateway: {product_key: a1GwProd01, device_name: gw-0001, device_secret: "gwSecret0123456789abcdef"}
devices:
  - product_key: a1SubProd1
    device_name: fw-new
    device_secret: "secret-fw-new"
    topology: present
    modules:
      default:
        firmware: {version: "1.1.0", size: 1024, url: "https://example.invalid/fw.bin", signMethod: "SHA256", sign: ")" +
                              kSha256 + R"("}
      mcu:
        query: no_reply
        firmware: {version: "2.0.0", size: 10, url: "https://example.invalid/mcu.bin", signMethod: "SHA256", sign: ")" +
                              kSha256 + R"("}
  - {product_key: a1SubProd1, device_name: fw-none, device_secret: "secret-fw-none", topology: present}
  - product_key: a1SubProd1
    device_name: fw-push
    device_secret: "secret-fw-push"
    topology: present
    modules:
      "":
        query: push
        delay_ms: 20
        firmware: {version: "3.0.0", size: 1, url: "https://example.invalid/p.bin", signMethod: "Md5", sign: ")" +
                              kMd5 + R"("}
  - {product_key: a1SubProd1, device_name: disabled, device_secret: "secret-disabled", topology: present, login: refuse}
generate:
  - {count: 60, product_key: a1SubProd2, name_format: "sub-%04d", secret_format: "secret-%04d"}
)";

std::filesystem::path make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "otagw-cloudsim-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  REQUIRE(out.flush());
}

std::string generated_name(int n) {
  char name[16];
  std::snprintf(name, sizeof(name), "sub-%04d", n);
  return name;
}
std::string generated_secret(int n) {
  char secret[16];
  std::snprintf(secret, sizeof(secret), "secret-%04d", n);
  return secret;
}

// A broker with the plugin, the gateway from `devices-file`, and the simulator serving on it.
struct SimFixture {
  std::filesystem::path dir = make_temp_dir();
  std::unique_ptr<test_support::MosquittoBroker> broker;
  std::unique_ptr<SimProcess> sim;
  asio::io_context io;
  asio::thread_pool pool{1};

  explicit SimFixture(const std::string& scenario = kScenario) {
    write_file(dir / "scenario.yaml", scenario);
    const auto devices = run_sim({"devices-file", "--scenario", (dir / "scenario.yaml").string()}, dir);
    INFO(devices.err);
    REQUIRE(devices.status == 0);
    test_support::BrokerOptions options;
    options.auth = true;
    std::istringstream lines(devices.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty() || line.front() == '#') continue;
      std::istringstream fields(line);
      std::string pk, dn, secret;
      fields >> pk >> dn >> secret;
      options.devices.push_back({pk, dn, secret});
    }
    options.platform_username = kPlatformUser;
    options.platform_password = kPlatformPassword;
    broker = std::make_unique<test_support::MosquittoBroker>(options);
    sim = std::make_unique<SimProcess>(
        std::vector<std::string>{"serve", "--scenario", (dir / "scenario.yaml").string(), "--broker-host", "127.0.0.1",
                                 "--broker-port", std::to_string(broker->port()), "--username", kPlatformUser,
                                 "--password", kPlatformPassword, "--report", (dir / "report.json").string()},
        dir / "sim.err");
    const bool ready = sim->wait_for_line("ready", 10s);
    INFO(sim->stderr_text());
    REQUIRE(ready);
  }

  ~SimFixture() {
    pool.stop();
    pool.join();
    sim.reset();
    broker.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  GatewayClient gateway() { return GatewayClient(io, pool.get_executor(), broker->port(), kGwPk, kGwDn, kGwSecret); }

  // SIGTERM, exit 0, the report.
  json stop_and_report() {
    const auto status = sim->signal_and_wait(SIGTERM, 10s);
    INFO(sim->stderr_text());
    REQUIRE(status == 0);
    std::ifstream in(dir / "report.json");
    REQUIRE(in);
    return json::parse(in);
  }
};

const json& device_in(const json& report, const std::string& pk, const std::string& dn) {
  for (const auto& device : report.at("devices")) {
    if (device.at("product_key") == pk && device.at("device_name") == dn) return device;
  }
  throw std::runtime_error("device " + pk + "/" + dn + " not in the report");
}

std::string topo_topic() { return "/sys/" + kGwPk + "/" + kGwDn + "/thing/topo/add"; }

json topo_request(const std::string& id, json entries) {
  return {{"id", id}, {"version", "1.0"}, {"params", std::move(entries)}, {"method", "thing.topo.add"}};
}
json sub(const std::string& dn, const std::string& secret, bool topo) { return subdevice_entry(kPk, dn, secret, topo); }
json gen(int n, bool topo) { return subdevice_entry(kPk2, generated_name(n), generated_secret(n), topo); }

}  // namespace

TEST_CASE("devices-file prints the gateway's line for the auth plugin", "[integration][cloudsim]") {
  const auto dir = make_temp_dir();
  write_file(dir / "s.yaml", kScenario);
  const auto result = run_sim({"devices-file", "--scenario", (dir / "s.yaml").string()}, dir);
  CHECK(result.status == 0);
  CHECK(result.out.find("\n" + kGwPk + " " + kGwDn + " " + kGwSecret + "\n") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("topology add: good signs are added and one bad sign adds nothing", "[integration][cloudsim]") {
  SimFixture f;
  auto gw = f.gateway();
  run_with_timeout(f.io, [&]() -> asio::awaitable<void> {
    co_await gw.connect(topics(topo_topic() + "_reply", session_topic("batch_login_reply")));

    json bad_entry = gen(1, true);
    bad_entry["sign"] = std::string(64, '0');
    auto reply = co_await gw.request(topo_topic(), topo_request("17", list(gen(0, true), bad_entry)));
    REQUIRE(reply);
    CHECK((*reply)["id"] == "17");
    CHECK((*reply)["code"] == 460);
    REQUIRE((*reply)["data"].size() == 1);
    CHECK((*reply)["data"][0]["deviceName"] == generated_name(1));
    // Nothing was added: logging in sub-0000 still finds no topology.
    reply = co_await gw.request(session_topic("batch_login"), login_request("18", list(gen(0, false))));
    REQUIRE(reply);
    CHECK((*reply)["code"] == 6401);

    json good = json::array();
    for (int n = 0; n < 3; ++n) good.push_back(gen(n, true));
    reply = co_await gw.request(topo_topic(), topo_request("19", good));
    REQUIRE(reply);
    CHECK((*reply)["id"] == "19");
    CHECK((*reply)["code"] == 200);
    REQUIRE((*reply)["data"].size() == 3);
    CHECK((*reply)["data"][2] == json({{"productKey", kPk2}, {"deviceName", generated_name(2)}}));

    // An unknown device fails the request with 6100.
    reply = co_await gw.request(topo_topic(), topo_request("20", list(subdevice_entry(kPk2, "nobody", "x", true))));
    REQUIRE(reply);
    CHECK((*reply)["code"] == 6100);

    // More than 30 in one request: 460.
    json many = json::array();
    for (int n = 0; n < 31; ++n) many.push_back(gen(n, true));
    reply = co_await gw.request(topo_topic(), topo_request("21", many));
    REQUIRE(reply);
    CHECK((*reply)["code"] == 460);
    gw.session().stop();
  }());
  const auto report = f.stop_and_report();
  CHECK(device_in(report, kPk2, generated_name(0))["topology"] == true);
  CHECK(device_in(report, kPk2, generated_name(2))["topology"] == true);
  CHECK(device_in(report, kPk2, generated_name(3))["topology"] == false);
  CHECK(report["counters"]["topo_add_requests"] == 4);
  CHECK(report["violations"].empty());
}

TEST_CASE("batch login fails whole on a missing topology and then logs devices in", "[integration][cloudsim]") {
  SimFixture f;
  auto gw = f.gateway();
  run_with_timeout(f.io, [&]() -> asio::awaitable<void> {
    co_await gw.connect(topics(session_topic("batch_login_reply"), session_topic("login_reply"),
                         session_topic("batch_logout_reply")));

    auto reply = co_await gw.request(session_topic("batch_login"),
                                     login_request("31", list(sub("fw-new", "secret-fw-new", false), gen(5, false),
                                                          sub("fw-none", "secret-fw-none", false))));
    REQUIRE(reply);
    CHECK((*reply)["id"] == "31");
    CHECK((*reply)["code"] == 6401);
    REQUIRE((*reply)["data"].size() == 1);
    CHECK((*reply)["data"][0]["deviceName"] == generated_name(5));

    reply = co_await gw.request(session_topic("batch_login"),
                                login_request("32", list(sub("fw-new", "secret-fw-new", false),
                                                     sub("fw-none", "secret-fw-none", false))));
    REQUIRE(reply);
    CHECK((*reply)["code"] == 200);
    CHECK((*reply)["data"].size() == 2);

    // A device the scenario refuses fails its batch with 6204.
    reply = co_await gw.request(session_topic("batch_login"),
                                login_request("33", list(sub("disabled", "secret-disabled", false))));
    REQUIRE(reply);
    CHECK((*reply)["code"] == 6204);

    // The vendor v3.2 SDK's single form: extras in the clientId, signed as sent.
    const std::string client_id = kPk + ".fw-push|_ss=1,_v=sdk-c-3.2.0|";
    json single = {{"id", "34"},
                   {"params",
                    {{"productKey", kPk},
                     {"deviceName", "fw-push"},
                     {"clientId", client_id},
                     {"timestamp", "123456"},
                     {"signMethod", "hmacSha256"},
                     {"sign", subdevice_sign(kPk, "fw-push", "secret-fw-push", "123456", client_id)},
                     {"cleanSession", "true"}}}};
    reply = co_await gw.request(session_topic("login"), single);
    REQUIRE(reply);
    CHECK((*reply)["code"] == 200);

    // More than 50 devices in one login: 460.
    json many = json::array();
    for (int n = 0; n < 51; ++n) many.push_back(gen(n, false));
    reply = co_await gw.request(session_topic("batch_login"), login_request("35", many));
    REQUIRE(reply);
    CHECK((*reply)["code"] == 460);

    json logout = {{"id", "36"}, {"version", "1.0"}, {"params", {{{"productKey", kPk}, {"deviceName", "fw-none"}}}}};
    reply = co_await gw.request(session_topic("batch_logout"), logout);
    REQUIRE(reply);
    CHECK((*reply)["code"] == 200);
    gw.session().stop();
  }());
  const auto report = f.stop_and_report();
  const auto& fw_new = device_in(report, kPk, "fw-new");
  CHECK(fw_new["online"] == true);
  CHECK(fw_new["logins"] == 1);
  CHECK(fw_new["login_failures"] == 1);
  CHECK(device_in(report, kPk, "fw-push")["online"] == true);
  CHECK(device_in(report, kPk, "fw-none")["online"] == false);  // logged out
  CHECK(device_in(report, kPk, "disabled")["online"] == false);
  CHECK(device_in(report, kPk2, generated_name(5))["online"] == false);
  CHECK(report["counters"]["login_requests"] == 5);
  CHECK(report["violations"].empty());
}

TEST_CASE("firmware queries: up to date / an offer / no reply / a push", "[integration][cloudsim]") {
  SimFixture f;
  auto gw = f.gateway();
  const std::string upgrade = "/ota/device/upgrade/" + kPk + "/fw-push";
  run_with_timeout(f.io, [&]() -> asio::awaitable<void> {
    co_await gw.connect(topics(session_topic("batch_login_reply"), get_topic(kPk, "fw-new") + "_reply",
                         get_topic(kPk, "fw-none") + "_reply", get_topic(kPk, "fw-push") + "_reply", upgrade));
    auto login = co_await gw.request(
        session_topic("batch_login"),
        login_request("1", list(sub("fw-new", "secret-fw-new", false), sub("fw-none", "secret-fw-none", false),
                            sub("fw-push", "secret-fw-push", false))));
    REQUIRE(login);
    REQUIRE((*login)["code"] == 200);

    auto reply = co_await gw.request(get_topic(kPk, "fw-none"), query("4294967295"));
    REQUIRE(reply);
    CHECK(*reply == json({{"id", "4294967295"}, {"code", 200}, {"data", json::object()}, {"message", "success"}}));

    reply = co_await gw.request(get_topic(kPk, "fw-new"), query("7"));
    REQUIRE(reply);
    CHECK((*reply)["code"] == 200);
    const auto& data = (*reply)["data"];
    CHECK(data["version"] == "1.1.0");
    CHECK(data["size"] == 1024);
    CHECK(data["url"] == "https://example.invalid/fw.bin");
    CHECK(data["signMethod"] == "SHA256");
    CHECK(data["sign"] == kSha256);
    CHECK_FALSE(data.contains("module"));
    CHECK_FALSE(data.contains("md5"));

    // A module the scenario does not know: up to date.
    reply = co_await gw.request(get_topic(kPk, "fw-new"), query("8", "wifi"));
    REQUIRE(reply);
    CHECK((*reply)["data"] == json::object());

    // mcu is no_reply: nothing within 500 ms.
    reply = co_await gw.request(get_topic(kPk, "fw-new"), query("9", "mcu"), 500ms);
    CHECK_FALSE(reply);

    // push: no get_reply, an upgrade message instead.
    co_await gw.publish(get_topic(kPk, "fw-push"), query("10").dump());
    const auto pushed = co_await gw.next_on(upgrade, 3s);
    REQUIRE(pushed);
    const auto push = json::parse(pushed->payload);
    CHECK(push["code"] == "1000");
    CHECK(push["message"] == "success");
    CHECK(push["id"].is_number_integer());
    CHECK(push["data"]["version"] == "3.0.0");
    CHECK(push["data"]["md5"] == kMd5);
    CHECK_FALSE(push["data"].contains("module"));
    const auto push_reply = co_await gw.next_on(get_topic(kPk, "fw-push") + "_reply", 200ms);
    CHECK_FALSE(push_reply);
    gw.session().stop();
  }());
  const auto report = f.stop_and_report();
  const auto& fw_new = device_in(report, kPk, "fw-new");
  REQUIRE(fw_new["queries"].size() == 3);
  CHECK(fw_new["queries"][0]["module"] == "default");
  CHECK(fw_new["queries"][2]["module"] == "mcu");
  CHECK(device_in(report, kPk, "fw-push")["pushes"] == 1);
  CHECK(report["counters"]["queries"] == 5);
  CHECK(report["violations"].empty());
}

TEST_CASE("inform and progress are recorded and malformed messages are violations while serving goes on", "[integration][cloudsim]") {
  SimFixture f;
  auto gw = f.gateway();
  run_with_timeout(f.io, [&]() -> asio::awaitable<void> {
    co_await gw.connect(topics(session_topic("batch_login_reply"), get_topic(kPk, "fw-new") + "_reply",
                         get_topic(kPk, "fw-none") + "_reply"));
    auto login = co_await gw.request(session_topic("batch_login"), login_request("1", list(sub("fw-new", "secret-fw-new", false))));
    REQUIRE(login);
    REQUIRE((*login)["code"] == 200);

    co_await gw.publish("/ota/device/inform/" + kPk + "/fw-new", R"({"id":"2","params":{"version":"1.0.0"}})");
    co_await gw.publish("/ota/device/inform/" + kPk + "/fw-new", R"({"id":"3","params":{"version":"0.9","module":"mcu"}})");
    co_await gw.publish("/ota/device/progress/" + kPk + "/fw-new",
                        R"({"id":"4","params":{"step":"37","desc":"downloading","module":"mcu"}})");
    co_await gw.publish(get_topic(kPk, "fw-new"), "{not json");
    co_await gw.publish("/ota/device/inform/" + kPk + "/fw-new", R"({"id":"5","params":{"version":42}})");
    // Still answering, in order after the garbage.
    auto reply = co_await gw.request(get_topic(kPk, "fw-new"), query("6"));
    REQUIRE(reply);
    CHECK((*reply)["code"] == 200);
    // A query from a device that is not logged in is answered, and noted.
    reply = co_await gw.request(get_topic(kPk, "fw-none"), query("7"));
    REQUIRE(reply);
    CHECK((*reply)["data"] == json::object());
    gw.session().stop();
  }());
  const auto report = f.stop_and_report();
  const auto& fw_new = device_in(report, kPk, "fw-new");
  REQUIRE(fw_new["informs"].size() == 2);
  CHECK(fw_new["informs"][0]["version"] == "1.0.0");
  CHECK(fw_new["informs"][0]["module"] == "default");
  CHECK(fw_new["informs"][1]["module"] == "mcu");
  REQUIRE(fw_new["progress"].size() == 1);
  CHECK(fw_new["progress"][0] == json({{"step", "37"}, {"desc", "downloading"}, {"module", "mcu"},
                                       {"t_ms", fw_new["progress"][0]["t_ms"]}}));
  const auto& violations = report["violations"];
  REQUIRE(violations.size() == 3);
  CHECK(violations[0]["topic"] == get_topic(kPk, "fw-new"));
  CHECK(violations[0]["what"].get<std::string>().find("malformed") != std::string::npos);
  CHECK(violations[1]["topic"] == "/ota/device/inform/" + kPk + "/fw-new");
  CHECK(violations[2]["what"].get<std::string>().find("offline") != std::string::npos);
  CHECK(report["counters"]["violations"] == 3);
}

TEST_CASE("exit code 2 for a scenario error naming the key and 1 for a refused login", "[integration][cloudsim]") {
  const auto dir = make_temp_dir();
  write_file(dir / "bad.yaml", "gateway: {product_key: a, device_name: b, device_secret: c}\n"
                               "devices:\n  - {product_key: p, device_name: d, device_secret: s, login: maybe}\n");
  auto result = run_sim({"serve", "--scenario", (dir / "bad.yaml").string(), "--broker-port", "1", "--username", "u",
                         "--password", "p"},
                        dir);
  CHECK(result.status == 2);
  CHECK(result.err.find("devices[0].login") != std::string::npos);

  result = run_sim({"serve", "--scenario", (dir / "bad.yaml").string(), "--username", "u", "--password", "p"}, dir);
  CHECK(result.status == 2);
  CHECK(result.err.find("--broker-port") != std::string::npos);

  write_file(dir / "s.yaml", kScenario);
  {
    test_support::BrokerOptions options;
    options.auth = true;
    options.platform_username = kPlatformUser;
    options.platform_password = kPlatformPassword;
    test_support::MosquittoBroker broker(options);
    const auto started = std::chrono::steady_clock::now();
    result = run_sim({"serve", "--scenario", (dir / "s.yaml").string(), "--broker-port", std::to_string(broker.port()),
                      "--username", kPlatformUser, "--password", "wrong"},
                     dir);
    CHECK(result.status == 1);
    CHECK(result.out.find("ready") == std::string::npos);
    CHECK(std::chrono::steady_clock::now() - started < 5s);  // refused at once, not after the 10 s time-out
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("exit code 1 when no broker answers within 10 s", "[integration][cloudsim][slow]") {
  const auto dir = make_temp_dir();
  write_file(dir / "s.yaml", kScenario);
  SimProcess sim({"serve", "--scenario", (dir / "s.yaml").string(), "--broker-port",
                  std::to_string(test_support::free_loopback_port()), "--username", "u", "--password", "p"},
                 dir / "sim.err");
  CHECK_FALSE(sim.wait_for_line("ready", 1s));
  CHECK(sim.wait(15s) == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("after the broker restarts the simulator subscribes again and answers", "[integration][cloudsim]") {
  SimFixture f;
  auto gw = f.gateway();
  run_with_timeout(f.io, [&]() -> asio::awaitable<void> {
    co_await gw.connect(topics(get_topic(kPk, "fw-none") + "_reply", session_topic("batch_login_reply")));
    const json login = login_request("1", list(sub("fw-none", "secret-fw-none", false)));
    const auto logged_in = co_await gw.request(session_topic("batch_login"), login);
    REQUIRE(logged_in);
    REQUIRE((*logged_in)["code"] == 200);
    f.broker->kill();
    f.broker->start();
    while (gw.session().connection_count() < 2) co_await test_support::sleep_for(10ms);
    const auto resubscribed = co_await gw.session().async_subscribe(topics(get_topic(kPk, "fw-none") + "_reply"), 1,
                                                                  asio::use_awaitable);
    REQUIRE_FALSE(resubscribed);
    // The simulator comes back on its own back-off (at most 2 s): ask until it answers.
    std::optional<json> reply;
    for (int attempt = 0; attempt < 50 && !reply; ++attempt) {
      reply = co_await gw.request(get_topic(kPk, "fw-none"), query(std::to_string(attempt)), 200ms);
    }
    REQUIRE(reply);
    CHECK((*reply)["data"] == json::object());
    gw.session().stop();
  }());
  const auto report = f.stop_and_report();
  CHECK(report["counters"]["reconnects"] == 1);
  // The broker took the gateway's connection with it: its sub-device is offline
  // until logged in again, so the queries after the restart are violations.
  CHECK(report["counters"]["gateway_disconnects"] == 1);
  CHECK_FALSE(device_in(report, kPk, "fw-none")["online"].get<bool>());
  REQUIRE_FALSE(report["violations"].empty());
  CHECK(report["violations"].back()["what"].get<std::string>().find("offline device") != std::string::npos);
}

// Not run by default (hidden tag): how fast the simulator answers. Run with
//   otagw_cloudsim_tests "[bench]" -s
TEST_CASE("throughput: 2000 devices log in and query their firmware", "[.][bench][cloudsim]") {
  constexpr int kDevices = 2000;
  const std::string scenario =
      "gateway: {product_key: a1GwProd01, device_name: gw-0001, device_secret: \"gwSecret0123456789abcdef\"}\n"
      "limits: {login_per_s: 1000}\n"
      "generate:\n"
      "  - {count: 2000, product_key: a1SubProd2, name_format: \"sub-%04d\", secret_format: \"secret-%04d\","
      " topology: present, modules: {default: {firmware: {version: \"1.1.0\", size: 1024, url: \"https://x/fw.bin\","
      " signMethod: SHA256, sign: \"" + kSha256 + "\"}}}}\n";
  SimFixture f(scenario);
  auto gw = f.gateway();
  std::size_t login_replies = 0, query_replies = 0;
  gw.session().set_message_handler([&](std::string_view topic, std::string_view payload) {
    if (topic.ends_with("batch_login_reply") && payload.find("\"code\":200") != std::string_view::npos) ++login_replies;
    if (topic.ends_with("get_reply") && payload.find("\"version\":\"1.1.0\"") != std::string_view::npos) ++query_replies;
  });
  run_with_timeout(
      f.io,
      [&]() -> asio::awaitable<void> {
        co_await gw.connect(topics(session_topic("batch_login_reply"), "/sys/" + kPk2 + "/+/thing/ota/firmware/get_reply"));
        const auto t0 = std::chrono::steady_clock::now();
        for (int batch = 0; batch < kDevices / 50; ++batch) {
          json entries = json::array();
          for (int n = batch * 50; n < batch * 50 + 50; ++n) entries.push_back(gen(n, false));
          co_await gw.publish(session_topic("batch_login"), login_request(std::to_string(batch), entries).dump());
        }
        while (login_replies < kDevices / 50) co_await test_support::sleep_for(1ms);
        const auto t1 = std::chrono::steady_clock::now();
        for (int n = 0; n < kDevices; ++n) {
          co_await gw.publish(get_topic(kPk2, generated_name(n)), query(std::to_string(n)).dump());
        }
        while (query_replies < static_cast<std::size_t>(kDevices)) co_await test_support::sleep_for(1ms);
        const auto t2 = std::chrono::steady_clock::now();
        const auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
        WARN("login of " << kDevices << " devices: " << ms(t1 - t0) << " ms; " << kDevices << " queries: " << ms(t2 - t1)
                         << " ms (" << kDevices / (ms(t2 - t1) / 1000) << " queries/s)");
        gw.session().stop();
      }(),
      60s);
  const auto report = f.stop_and_report();
  CHECK(report["counters"]["queries"] == kDevices);
  CHECK(report["violations"].empty());
}

TEST_CASE("the gateway's disconnect takes its sub-devices offline until they are logged in again", "[integration][cloudsim]") {
  SimFixture f;
  const std::vector<std::string> subscriptions =
      topics(session_topic("batch_login_reply"), get_topic(kPk, "fw-none") + "_reply");
  const json login = login_request("1", list(sub("fw-none", "secret-fw-none", false)));
  auto first = f.gateway();
  run_with_timeout(f.io, [&]() -> asio::awaitable<void> {
    co_await first.connect(subscriptions);
    const auto logged_in = co_await first.request(session_topic("batch_login"), login);
    REQUIRE(logged_in);
    REQUIRE((*logged_in)["code"] == 200);
    const auto reply = co_await first.request(get_topic(kPk, "fw-none"), query("2"));
    REQUIRE(reply);
    first.session().stop();
  }());
  // The same gateway again: its sub-device must be logged in anew before it queries.
  auto second = f.gateway();
  run_with_timeout(f.io, [&]() -> asio::awaitable<void> {
    co_await second.connect(subscriptions);
    auto reply = co_await second.request(get_topic(kPk, "fw-none"), query("3"));
    REQUIRE(reply);  // answered all the same, and noted
    const auto logged_in = co_await second.request(session_topic("batch_login"), login);
    REQUIRE(logged_in);
    REQUIRE((*logged_in)["code"] == 200);
    reply = co_await second.request(get_topic(kPk, "fw-none"), query("4"));
    REQUIRE(reply);
    second.session().stop();
  }());
  const auto report = f.stop_and_report();
  CHECK(report["counters"]["gateway_disconnects"] >= 1);
  const auto& violations = report["violations"];
  REQUIRE(violations.size() == 1);
  CHECK(violations[0]["topic"] == get_topic(kPk, "fw-none"));
  CHECK(violations[0]["what"].get<std::string>().find("offline device") != std::string::npos);
  CHECK(device_in(report, kPk, "fw-none")["logins"] == 2);
}
