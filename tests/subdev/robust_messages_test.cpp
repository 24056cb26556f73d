// The sweep in-process, with the test playing the platform: malformed
// replies, stale ids, wrong types and messages for other devices are dropped
// and never acted on; the right reply still ends the visit.
#include <catch2/catch.hpp>

#include <functional>

#include "tests/subdev/anonymous_session.hpp"
#include "subdev/sweeper.hpp"
#include "tests/support/mosquitto_broker.hpp"
#include "tests/support/run_with_timeout.hpp"
#include "tests/support/temp_dir.hpp"
#include "transports/mqtt_session.hpp"

using namespace otagw;
using namespace std::chrono_literals;

namespace {


std::string field_id(std::string_view payload) {
  return nlohmann::json::parse(payload).at("id").get<std::string>();
}

// One sub-device, the daemon's Sweeper and a platform session that the test
// answers with; both on one broker.
struct SweepHarness {
  test_support::MosquittoBroker broker;
  test_support::TempDir dir;
  asio::io_context io;
  asio::thread_pool pool{1};
  transports::MqttSession gateway{io.get_executor(), pool.get_executor(),
                                  sweep_test::anonymous_session(broker.port(), "gw")};
  transports::MqttSession platform{io.get_executor(), pool.get_executor(),
                                   sweep_test::anonymous_session(broker.port(), "platform")};
  std::shared_ptr<const subdev::Registry> registry = std::make_shared<const subdev::Registry>(one_device());
  subdev::DeviceStateStore state{dir.path()};
  std::unique_ptr<subdev::Sweeper> sweeper;

  // `with_jobs`: offers become firmware jobs (the recorder plugin as "copy").
  explicit SweepHarness(std::chrono::milliseconds timeouts, bool with_jobs = false) {
    subdev::SweeperOptions options;
    options.query_timeout = timeouts;
    options.reply_timeout = timeouts;
    if (with_jobs) {
      config::PluginConfig recorder;
      recorder.name = "copy";
      recorder.path = std::string(OTAGW_SOURCE_DIR) + "/tests/subdev/plugins/recorder";
      options.plugins.emplace("copy", recorder);
      options.jobs.state_dir = dir.path();
    }
    sweeper = std::make_unique<subdev::Sweeper>(pool.get_executor(), gateway,
                                                 subdev::GatewayIdentity{"a1GwProd01", "gw-0001"}, registry, state,
                                                 options);
    gateway.set_message_handler([this](std::string_view t, std::string_view p) { sweeper->on_message(t, p); });
  }
  ~SweepHarness() {
    gateway.stop();
    platform.stop();
    io.run_for(200ms);
    pool.join();
  }

  static std::vector<config::SubdeviceConfig> one_device() {
    std::vector<config::SubdeviceConfig> entries(1);
    entries[0].product_key = "a1SubProd1";
    entries[0].device_name = "sub-0000";
    entries[0].device_secret = config::Secret("s");
    entries[0].version = "1.0.0";
    entries[0].plugin = "copy";
    return entries;
  }

  // The platform answers every firmware/get with `answer(id)` (the whole
  // reply), accepts everything else, and records the progress reports.
  void answer_queries_with(std::function<std::string(const std::string& id)> answer) {
    platform.set_message_handler([this, answer = std::move(answer)](std::string_view topic, std::string_view payload) {
      if (topic.starts_with("/ota/device/progress/")) {
        progress.push_back(nlohmann::json::parse(payload));
        return;
      }
      const std::string reply_topic = std::string(topic) + "_reply";
      const std::string id = field_id(payload);
      const std::string reply = topic.ends_with("/thing/ota/firmware/get")
                                    ? answer(id)
                                    : R"({"id":")" + id + R"(","code":200,"data":{}})";
      platform.async_publish(reply_topic, reply, 0, asio::detached);
    });
  }
  std::vector<nlohmann::json> progress;

  // One pass, with the platform subscribed to what the gateway sends.
  subdev::PassReport run_pass() {
    gateway.start();
    platform.start();
    subdev::PassReport report;
    test_support::run_with_timeout(
        io,
        [](transports::MqttSession& p, subdev::Sweeper& s, subdev::PassReport& out) -> asio::awaitable<void> {
          (void)co_await p.async_wait_connected(5s, asio::use_awaitable);
          const std::vector<std::string> topics = {"/sys/+/+/thing/ota/firmware/get", "/sys/+/+/thing/topo/add",
                                                   "/ext/session/+/+/combine/batch_login", "/ota/device/progress/+/+"};
          (void)co_await p.async_subscribe(topics, 1, asio::use_awaitable);
          out = co_await s.run_pass(5000ms);
        }(platform, *sweeper, report));
    return report;
  }
};

}  // namespace

TEST_CASE("malformed, stale and foreign messages are dropped and the right reply counts", "[integration][sweep]") {
  SweepHarness h(3s);
  int queries = 0;
  h.platform.set_message_handler([&](std::string_view topic, std::string_view payload) {
    const std::string reply_topic = std::string(topic) + "_reply";
    const std::string id = field_id(payload);
    if (!topic.ends_with("/thing/ota/firmware/get")) {  // topology add, login: accept
      h.platform.async_publish(reply_topic, R"({"id":")" + id + R"(","code":200,"data":[]})", 0, asio::detached);
      return;
    }
    ++queries;
    const std::string junk[] = {
        "not json at all",
        R"({"id":")" + id + R"(999","code":200,"data":{"version":"9.9.9","size":1,"url":"https://x/y"}})",
        R"({"id":")" + id + R"(999","code":"200","data":{}})",
        R"({"code":200,"data":{}})",
        R"([1,2,3])",
    };
    for (const auto& message : junk) h.platform.async_publish(reply_topic, message, 0, asio::detached);
    // A push for a device whose channel is not active: routed, then refused.
    h.sweeper->on_message("/ota/device/upgrade/a1SubProd1/ghost",
                          R"({"code":"1000","id":1,"data":{"version":"6.6.6","size":1,"url":"https://x/z"}})");
    h.platform.async_publish(reply_topic, R"({"id":")" + id + R"(","code":200,"data":{}})", 0, asio::detached);
  });

  const subdev::PassReport report = h.run_pass();
  CHECK(queries == 1);
  CHECK(report.complete);
  CHECK(report.visited == 1);
  CHECK(report.up_to_date == 1);  // the junk "offer" with the stale id never counted
  CHECK(report.offers == 0);
  CHECK(report.failed == 0);
  CHECK(h.state.find("a1SubProd1.sub-0000")->last_result == "up_to_date");
}

TEST_CASE("a login without a reply is sent once more, then its devices wait for the next pass", "[integration][sweep]") {
  // How many login requests the platform ignores before it answers.
  const int ignored = GENERATE(1, 2);
  SweepHarness h(1s);
  int logins = 0;
  h.platform.set_message_handler([&](std::string_view topic, std::string_view payload) {
    const std::string reply_topic = std::string(topic) + "_reply";
    const std::string id = field_id(payload);
    if (topic.ends_with("/combine/batch_login") && ++logins <= ignored) return;
    h.platform.async_publish(reply_topic, R"({"id":")" + id + R"(","code":200,"data":{}})", 0, asio::detached);
  });

  const subdev::PassReport report = h.run_pass();
  CHECK(logins == 2);  // never more than once again
  if (ignored == 1) {
    CHECK(report.visited == 1);
    CHECK(report.not_logged_in == 0);
  } else {
    CHECK(report.visited == 0);
    CHECK(report.not_logged_in == 1);
  }
}

TEST_CASE("an offer the gateway cannot use is reported as step -1 and never downloaded", "[integration][sweep]") {
  SweepHarness h(3s, true);
  h.answer_queries_with([](const std::string& id) {  // no url, no size, no sign
    return R"({"id":")" + id + R"(","code":200,"data":{"version":"2.0.0"}})";
  });
  auto& progress = h.progress;

  const subdev::PassReport report = h.run_pass();
  CHECK(report.visited == 1);
  CHECK(report.failed == 1);
  CHECK(report.offers == 0);
  REQUIRE(progress.size() == 1);
  CHECK(progress[0]["params"]["step"] == "-1");
  CHECK(progress[0]["params"]["desc"].get<std::string>().find("unusable offer") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(h.dir.path() / "target"));
}

TEST_CASE("a reply with the waited id but a broken envelope ends the query with step -1, not a time-out",
          "[integration][sweep]") {
  const std::string broken = GENERATE(std::string(R"("code":"200")"), std::string(R"("code":200.0)"),
                                      std::string(R"("code":200,"message":7)"));
  SweepHarness h(3s, true);
  h.answer_queries_with([&broken](const std::string& id) { return R"({"id":")" + id + R"(",)" + broken + R"(,"data":{}})"; });
  auto& progress = h.progress;

  const subdev::PassReport report = h.run_pass();
  INFO(broken);
  CHECK(report.visited == 1);
  CHECK(report.failed == 1);
  CHECK(report.no_reply == 0);  // answered, not timed out
  REQUIRE(progress.size() == 1);
  CHECK(progress[0]["params"]["step"] == "-1");
  const auto desc = progress[0]["params"]["desc"].get<std::string>();
  CHECK(desc.find("unusable firmware/get reply") != std::string::npos);
  CHECK(desc.find(broken.find("message") != std::string::npos ? "\"message\"" : "\"code\"") != std::string::npos);
}
