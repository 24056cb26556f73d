// Topology in-process against the real otagw-cloudsim behind a real mosquitto
// with the platform's sign-in check: what the platform holds after a delete,
// and what the gateway's state remembers.
#include <catch2/catch.hpp>

#include <signal.h>

#include <fstream>
#include <sstream>

#include "subdev/cloud_message.hpp"
#include "subdev/topics.hpp"
#include "subdev/topology.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/mosquitto_broker.hpp"
#include "tests/support/run_with_timeout.hpp"
#include "tests/support/temp_dir.hpp"
#include "transports/platform_sign.hpp"

using namespace otagw;
using namespace std::chrono_literals;

namespace {

const subdev::GatewayIdentity kGateway{"a1GwProd01", "gw-0001"};
constexpr const char* kGatewaySecret = "gw-secret-for-topology-tests";
constexpr const char* kPlatformUser = "platform";
constexpr const char* kPlatformPassword = "platform-password";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

test_support::BrokerOptions broker_options() {
  test_support::BrokerOptions options;
  options.auth = true;
  options.devices.push_back({kGateway.product_key, kGateway.device_name, kGatewaySecret});
  options.platform_username = kPlatformUser;
  options.platform_password = kPlatformPassword;
  return options;
}

transports::MqttSessionOptions gateway_session(std::uint16_t port) {
  const auto sign_in =
      transports::make_mqtt_sign_in(kGateway.product_key, kGateway.device_name, config::Secret(kGatewaySecret), false);
  transports::MqttSessionOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  options.tls = false;
  options.client_id = sign_in.client_id;
  options.username = sign_in.username;
  options.password = sign_in.password;
  options.backoff_initial = 50ms;
  options.backoff_max = 200ms;
  return options;
}

// The platform (the simulator serving a scenario), the gateway's session and
// the Topology under test with its reply routing, as the sweeper wires them.
struct TopologyHarness {
  test_support::MosquittoBroker broker{broker_options()};
  test_support::TempDir dir{"otagw-topology"};
  std::unique_ptr<test_support::ChildProcess> sim;
  asio::io_context io;
  asio::thread_pool pool{1};
  transports::MqttSession session{io.get_executor(), pool.get_executor(), gateway_session(broker.port())};
  subdev::PublishPacer pacer{0};
  subdev::CloudRpc rpc{session, pacer};
  subdev::DeviceStateStore state{dir.path() / "state"};
  subdev::Topology topology{kGateway, rpc, state, 5s};
  std::vector<subdev::Subdevice> devices;

  explicit TopologyHarness(const std::vector<std::string>& names) {
    std::filesystem::create_directories(dir.path() / "state");
    std::ofstream scenario(dir.path() / "scenario.yaml");
    scenario << "gateway: {product_key: " << kGateway.product_key << ", device_name: " << kGateway.device_name
             << ", device_secret: " << kGatewaySecret << "}\ndevices:\n";
    for (const std::string& name : names) {
      scenario << "  - {product_key: a1SubProd1, device_name: " << name << ", device_secret: secret-" << name << "}\n";
      devices.push_back({"a1SubProd1", name, config::Secret("secret-" + name), {{"", "1.0.0", "copy", {}}}});
    }
    scenario.close();
    sim = std::make_unique<test_support::ChildProcess>(
        std::vector<std::string>{OTAGW_CLOUDSIM_PATH, "serve", "--scenario", (dir.path() / "scenario.yaml").string(),
                                 "--broker-host", "127.0.0.1", "--broker-port", std::to_string(broker.port()),
                                 "--username", kPlatformUser, "--password", kPlatformPassword, "--report",
                                 (dir.path() / "report.json").string()},
        dir.path());
    REQUIRE(sim->wait_for_stdout("ready", 10s));
    session.set_message_handler([this](std::string_view topic, std::string_view payload) {
      auto message = subdev::decode_cloud_message(topic, payload, kGateway);
      if (!message) return;
      if (auto* reply = std::get_if<subdev::PlatformReply>(&message->body)) {
        (void)rpc.deliver(message->topic.kind, std::move(*reply));
      }
    });
    session.start();
  }
  ~TopologyHarness() {
    session.stop();
    io.run_for(200ms);
    pool.join();
  }

  const subdev::Subdevice* device(std::size_t i) const { return &devices.at(i); }

  void run(asio::awaitable<void> test) { test_support::run_with_timeout(io, std::move(test), 60s); }

  // The simulator's report, after SIGTERM.
  nlohmann::json stop_sim_and_report() {
    sim->signal(SIGTERM);
    REQUIRE(sim->wait(10s) == 0);
    return nlohmann::json::parse(read_file(dir.path() / "report.json"));
  }
};

asio::awaitable<void> connect(TopologyHarness& h) {
  const auto connected = co_await h.session.async_wait_connected(5s, asio::use_awaitable);
  REQUIRE_FALSE(connected);
  const auto subscribed = co_await h.session.async_subscribe(h.topology.reply_topics(), 1, asio::use_awaitable);
  REQUIRE_FALSE(subscribed);
}

// One batch login of `device` exactly as Topology sends it, without its
// re-add on 6401: the platform's own answer.
asio::awaitable<std::int64_t> raw_login_code(TopologyHarness& h, const subdev::Subdevice& device) {
  const std::string timestamp = "1700000000000";
  nlohmann::json entry = {{"productKey", device.product_key},
                          {"deviceName", device.device_name},
                          {"clientId", device.key()},
                          {"timestamp", timestamp},
                          {"cleanSession", "false"},
                          {"sign", transports::subdevice_sign(device.product_key, device.device_name,
                                                              device.device_secret, timestamp)}};
  nlohmann::json request = {{"version", "1.0"},
                            {"params", {{"signMethod", "hmacSha256"}, {"deviceList", nlohmann::json::array({entry})}}},
                            {"method", "combine.batchLogin"}};
  auto reply = co_await h.rpc.call(subdev::CloudTopic::login_reply,
                                   subdev::topics::batch_login(kGateway.product_key, kGateway.device_name),
                                   std::move(request), 5s);
  REQUIRE(reply);
  co_return reply->code;
}

const nlohmann::json& report_device(const nlohmann::json& report, const std::string& name) {
  for (const auto& device : report.at("devices")) {
    if (device.at("device_name") == name) return device;
  }
  FAIL("no device " << name << " in the report");
  throw std::logic_error("unreachable");
}

// Catch2's macros keep no co_await and no braced list across one (g++ 12
// miscompiles a temporary array that lives across a suspension).
using Devices = std::vector<const subdev::Subdevice*>;

asio::awaitable<void> delete_then_login(TopologyHarness& h) {
  co_await connect(h);
  const Devices both{h.device(0), h.device(1)};
  const auto added = co_await h.topology.add(both);
  REQUIRE(added.accepted.size() == 2);
  const auto online = co_await h.topology.login(both);
  REQUIRE(online.accepted.size() == 2);
  const auto saved = co_await h.state.async_save(h.pool.get_executor());
  REQUIRE_FALSE(saved);
  REQUIRE_FALSE(h.state.dirty());

  const Devices first{h.device(0)};
  const auto removed = co_await h.topology.remove(first);
  CHECK_FALSE(removed);
  CHECK_FALSE(h.state.at("a1SubProd1.sub-a").topology_added);
  CHECK(h.state.at("a1SubProd1.sub-b").topology_added);
  CHECK(h.state.dirty());

  // The platform refuses the login until the topology is added again;
  // Topology::login does that by itself.
  const auto refused = co_await raw_login_code(h, *h.device(0));
  CHECK(refused == subdev::kCodeTopologyMissing);
  const auto kept = co_await raw_login_code(h, *h.device(1));
  CHECK(kept == 200);
  const auto again = co_await h.topology.login(first);
  CHECK(again.accepted.size() == 1);
  CHECK(h.state.at("a1SubProd1.sub-a").topology_added);
}

asio::awaitable<void> delete_with_one_absent(TopologyHarness& h) {
  co_await connect(h);
  const Devices both{h.device(0), h.device(1)};
  const auto added = co_await h.topology.add(both);
  REQUIRE(added.accepted.size() == 2);
  const auto online = co_await h.topology.login(both);
  REQUIRE(online.accepted.size() == 2);
  h.state.at("a1SubProd1.sub-c").topology_added = true;  // state believes otherwise (a lost platform record)

  const Devices a_and_c{h.device(0), h.device(2)};
  const auto removed = co_await h.topology.remove(a_and_c);
  CHECK_FALSE(removed);
  CHECK_FALSE(h.state.at("a1SubProd1.sub-a").topology_added);
  CHECK_FALSE(h.state.at("a1SubProd1.sub-c").topology_added);
  CHECK(h.state.at("a1SubProd1.sub-b").topology_added);
}

asio::awaitable<void> delete_many(TopologyHarness& h) {
  co_await connect(h);
  Devices all;
  for (const auto& device : h.devices) all.push_back(&device);
  const auto added = co_await h.topology.add(all);
  REQUIRE(added.accepted.size() == all.size());
  const auto removed = co_await h.topology.remove(all);
  CHECK_FALSE(removed);
  for (const auto& device : h.devices) CHECK_FALSE(h.state.at(device.key()).topology_added);
}

}  // namespace

TEST_CASE("remove deletes the topology on the platform and forgets it in state", "[integration][topology]") {
  TopologyHarness h({"sub-a", "sub-b"});
  h.run(delete_then_login(h));
  const auto report = h.stop_sim_and_report();
  CHECK(report["counters"]["topo_delete_requests"] == 1);
  CHECK(report["counters"]["topo_add_requests"] == 2);  // the first add, and the re-add after 6401
  CHECK(report_device(report, "sub-a")["topology"] == true);
  CHECK(report_device(report, "sub-b")["topology"] == true);
  CHECK(report["counters"]["violations"] == 0);
}

TEST_CASE("remove isolates a device the platform holds no topology for and counts it as deleted",
          "[integration][topology]") {
  // sub-c was never added: the platform refuses a batch naming it whole (6401).
  TopologyHarness h({"sub-a", "sub-b", "sub-c"});
  h.run(delete_with_one_absent(h));
  const auto report = h.stop_sim_and_report();
  // The pair (refused whole), then each alone.
  CHECK(report["counters"]["topo_delete_requests"] == 3);
  CHECK(report_device(report, "sub-a")["topology"] == false);
  CHECK(report_device(report, "sub-a")["online"] == false);
  CHECK(report_device(report, "sub-b")["topology"] == true);
  CHECK(report_device(report, "sub-b")["online"] == true);
  CHECK(report_device(report, "sub-c")["topology"] == false);
}

TEST_CASE("remove sends batches of at most kMaxTopoDeleteBatch devices", "[integration][topology]") {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < subdev::kMaxTopoDeleteBatch + 5; ++i) names.push_back("sub-" + std::to_string(i));
  TopologyHarness h(names);
  h.run(delete_many(h));
  const auto report = h.stop_sim_and_report();
  CHECK(report["counters"]["topo_delete_requests"] == 2);  // 50 + 5: the simulator refuses more than 50 with 460
  for (const auto& device : report["devices"]) CHECK(device["topology"] == false);
}
