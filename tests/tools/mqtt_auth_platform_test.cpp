// What the plugin does for the simulated platform: `_ss=1` in a device's client id (the
// platform user's publishes are delivered to it without a SUBSCRIBE, as the platform's
// auto-subscription does for the vendor SDKs), and the end of a device's connection
// announced on $otagw/disconnected/{pk}/{dn}.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "mqtt_test_client.hpp"
#include "tests/support/mosquitto_broker.hpp"

using otagw::test_support::BrokerOptions;
using otagw::test_support::MosquittoBroker;
using otagw::tools_test::SyncClient;
using namespace std::chrono_literals;

namespace {

constexpr int kAccepted = 0;
const std::string kPk = "a1B";
const std::string kDn = "gw";
const std::string kSecret = "gwSecret0123456789abcdef";
const std::string kOtherDn = "plain";
const std::string kOtherSecret = "plainSecret0123456789";
const std::string kPlatformUser = "platform";
const std::string kPlatformPassword = "platform-pw";
const std::string kReplyTopic = "/sys/" + kPk + "/" + kDn + "/thing/ota/firmware/get_reply";
const std::string kReply = R"({"id":"7","code":200,"data":{}})";
// How long a client listens for a message that must not come (or must not come twice).
constexpr auto kQuiet = 700ms;

BrokerOptions ss_options() {
  BrokerOptions options;
  options.auth = true;
  options.devices = {{kPk, kDn, kSecret}, {kPk, kOtherDn, kOtherSecret}};
  options.platform_username = kPlatformUser;
  options.platform_password = kPlatformPassword;
  return options;
}

// Uppercase hex of HMAC-SHA256 over the sorted parameters, as the SDKs sign.
std::string sign(const std::string& dn, const std::string& secret, const std::string& timestamp) {
  const std::string message = "clientId" + kPk + "." + dn + "deviceName" + dn + "productKey" + kPk + "timestamp" + timestamp;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 0x0f];
  }
  return out;
}

// A device client signed in with `extra` pairs in its client id (e.g. "_ss=1").
std::unique_ptr<SyncClient> device(const MosquittoBroker& broker, const std::string& dn, const std::string& secret,
                                   const std::string& extra) {
  const std::string timestamp = "2524608000000";
  std::string id = kPk + "." + dn + "|securemode=3,signmethod=hmacsha256,timestamp=" + timestamp;
  if (!extra.empty()) id += "," + extra;
  id += "|";
  auto client = std::make_unique<SyncClient>(otagw::tools_test::ClientOptions{id, dn + "&" + kPk, sign(dn, secret, timestamp), {}});
  REQUIRE(client->connect(broker.port()) == kAccepted);
  return client;
}

std::unique_ptr<SyncClient> platform(const MosquittoBroker& broker) {
  auto client = std::make_unique<SyncClient>(
      otagw::tools_test::ClientOptions{"otagw-cloudsim", kPlatformUser, kPlatformPassword, {}});
  REQUIRE(client->connect(broker.port()) == kAccepted);
  return client;
}

}  // namespace

TEST_CASE("an _ss=1 client gets the platform's messages without subscribing, others do not", "[integration]") {
  MosquittoBroker broker(ss_options());
  auto sdk = device(broker, kDn, kSecret, "_v=sdk-c-3.2.0,_ss=1");
  auto plain = device(broker, kOtherDn, kOtherSecret, "");
  auto cloud = platform(broker);

  REQUIRE(cloud->publish(kReplyTopic, kReply));
  CHECK(sdk->wait_message(kReplyTopic) == kReply);
  CHECK(sdk->count_messages(kReplyTopic, kQuiet) == 0);  // once
  CHECK(plain->count_messages(kReplyTopic, kQuiet) == 0);

  // Any downstream topic, e.g. a sub-device's push or the legacy query's answer.
  const std::string push = "/ota/device/request/" + kPk + "/sub-1";
  REQUIRE(cloud->publish(push, R"({"code":"1000"})"));
  CHECK(sdk->wait_message(push) == R"({"code":"1000"})");
  CHECK(broker.log().find("_ss=1 delivery") != std::string::npos);
}

TEST_CASE("an _ss=1 client that subscribed gets a platform message once", "[integration]") {
  MosquittoBroker broker(ss_options());
  auto sdk = device(broker, kDn, kSecret, "_ss=1");
  REQUIRE(sdk->subscribe("/sys/" + kPk + "/" + kDn + "/thing/#", 1));
  auto cloud = platform(broker);

  REQUIRE(cloud->publish(kReplyTopic, kReply));
  CHECK(sdk->count_messages(kReplyTopic, kQuiet) == 1);
  // A topic outside its filter still comes by the plugin, once.
  const std::string other = "/ota/device/upgrade/" + kPk + "/" + kDn;
  REQUIRE(cloud->publish(other, kReply));
  CHECK(sdk->count_messages(other, kQuiet) == 1);
}

TEST_CASE("only the platform user's publishes are delivered to _ss=1 clients", "[integration]") {
  MosquittoBroker broker(ss_options());
  auto sdk = device(broker, kDn, kSecret, "_ss=1");
  auto neighbour = device(broker, kOtherDn, kOtherSecret, "_ss=1");
  // A device publishing upstream (its own inform) reaches no other device.
  const std::string inform = "/ota/device/inform/" + kPk + "/" + kOtherDn;
  REQUIRE(neighbour->publish(inform, R"({"id":"1","params":{"version":"1.0.0"}})"));
  CHECK(sdk->count_messages(inform, kQuiet) == 0);
  CHECK(neighbour->count_messages(inform, 0ms) == 0);
  // `_ss=0` or another value is not auto-subscription.
  auto not_ss = device(broker, kOtherDn, kOtherSecret, "_ss=0");
  auto cloud = platform(broker);
  REQUIRE(cloud->publish(kReplyTopic, kReply));
  CHECK(sdk->wait_message(kReplyTopic) == kReply);
  CHECK(not_ss->count_messages(kReplyTopic, kQuiet) == 0);
}

TEST_CASE("_ss=1 records follow reconnects and client id takeovers", "[integration]") {
  MosquittoBroker broker(ss_options());
  auto cloud = platform(broker);
  {
    auto first = device(broker, kDn, kSecret, "_ss=1");
  }  // disconnected: its record goes
  REQUIRE(cloud->publish(kReplyTopic, kReply));

  auto old_session = device(broker, kDn, kSecret, "_ss=1");
  REQUIRE(old_session->subscribe(kReplyTopic, 1));
  // The same client id again takes the session over; the new connection has no filters.
  auto taken_over = device(broker, kDn, kSecret, "_ss=1");
  REQUIRE(cloud->publish(kReplyTopic, kReply));
  CHECK(taken_over->count_messages(kReplyTopic, kQuiet) == 1);
  CHECK(broker.running());
}

TEST_CASE("the end of a signed-in device's connection is announced to the platform", "[integration][mqtt-auth]") {
  MosquittoBroker broker(ss_options());
  auto sim = platform(broker);
  REQUIRE(sim->subscribe("$otagw/disconnected/+/+", 1));
  const std::string gone_topic = "$otagw/disconnected/" + kPk + "/" + kDn;

  {
    auto gateway = device(broker, kDn, kSecret, "");
    CHECK(sim->count_messages(gone_topic, kQuiet) == 0);  // nothing while it is connected
  }  // disconnects
  const auto announced = sim->wait_message(gone_topic);
  REQUIRE(announced);
  CHECK(*announced == kPk + "." + kDn + "|securemode=3,signmethod=hmacsha256,timestamp=2524608000000|");

  // A refused sign-in was never online, and the platform user is not a device.
  {
    SyncClient refused(otagw::tools_test::ClientOptions{kPk + "." + kDn + "|securemode=3,signmethod=hmacsha256|",
                                                         kDn + "&" + kPk, "0000", {}});
    CHECK(refused.connect(broker.port()) == 5);
  }
  { auto other_platform = platform(broker); }
  CHECK(sim->count_messages("$otagw/disconnected/+/+", kQuiet) == 0);
  CHECK(sim->count_messages(gone_topic, 0ms) == 0);

  // No client can announce a device itself.
  auto liar = device(broker, kOtherDn, kOtherSecret, "");
  liar->publish(gone_topic, "fake");
  CHECK(sim->count_messages(gone_topic, kQuiet) == 0);
}
