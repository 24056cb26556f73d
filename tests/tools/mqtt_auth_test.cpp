// The platform sign-in plugin (tools/mqtt-auth) inside a real mosquitto, and the broker
// helper it is tested with (tests/support).

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "mqtt_test_client.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/mosquitto_broker.hpp"
#include "tests/support/test_ca.hpp"

using otagw::test_support::BrokerOptions;
using otagw::test_support::MosquittoBroker;
using otagw::tools_test::ClientOptions;
using otagw::tools_test::kNoConnack;
using otagw::tools_test::raw_connect;
using otagw::tools_test::SyncClient;

namespace {

constexpr int kAccepted = 0;
constexpr int kNotAuthorised = 5;  // MQTT 3.1.1 CONNACK return code

const std::string kPk = "a1B";
const std::string kDn = "dev";
const std::string kSecret = "s3cr3tK3y0123456789abcdefABCDEF";
const std::string kTimestamp = "2524608000000";

// Computed with the openssl CLI, not with this test's code:
//   printf 'clientIda1B.devdeviceNamedevproductKeya1Btimestamp2524608000000' |
//     openssl dgst -sha256 -hmac s3cr3tK3y0123456789abcdefABCDEF
const std::string kCliSha256WithTimestamp = "b327d55f1cee1bdf4cfd7b7bebb1d5ab5bad9fbcf632fc83b2b73be83492d977";
//   printf 'clientIda1B.devdeviceNamedevproductKeya1B' | openssl dgst -sha1 -hmac ...
const std::string kCliSha1NoTimestamp = "b009d819bdea226343e2e649406ee95f031981a9";
//   printf 'clientIda1B.devdeviceNamedevproductKeya1Btimestamp2524608000000' | openssl dgst -md5 -hmac ...
const std::string kCliMd5WithTimestamp = "5029e1b67c94a42fbe43545ec6909120";

BrokerOptions auth_options() {
  BrokerOptions options;
  options.auth = true;
  options.devices = {{kPk, kDn, kSecret}, {"p2", "other", "otherSecret"}};
  return options;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// hex(HMAC(secret, "clientId{pk}.{dn}deviceName{dn}productKey{pk}[timestamp{ts}]")).
std::string sign(const EVP_MD* md, const std::string& pk, const std::string& dn, const std::string& secret,
                 const std::string& timestamp) {
  std::string message = "clientId" + pk + "." + dn + "deviceName" + dn + "productKey" + pk;
  if (!timestamp.empty()) message += "timestamp" + timestamp;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), mac, &len);
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 0x0f];
  }
  return out;
}

std::string client_id(const std::string& pk, const std::string& dn, const std::string& pairs) {
  return pk + "." + dn + "|" + pairs + "|";
}

int connect(const MosquittoBroker& broker, const std::string& id, const std::string& username,
            const std::string& password) {
  SyncClient client({id, username, password, {}});
  return client.connect(broker.port());
}

// A correct sign-in still works: the broker survived whatever came before.
void require_device_still_accepted(const MosquittoBroker& broker) {
  REQUIRE(broker.running());
  CHECK(connect(broker, client_id(kPk, kDn, "securemode=3,signmethod=hmacsha256,timestamp=" + kTimestamp),
                kDn + "&" + kPk, kCliSha256WithTimestamp) == kAccepted);
}

}  // namespace

TEST_CASE("sign-in vectors computed with the openssl CLI are accepted", "[integration]") {
  MosquittoBroker broker(auth_options());
  const std::string user = kDn + "&" + kPk;
  // The SDKs send uppercase hex.
  CHECK(connect(broker, client_id(kPk, kDn, "securemode=3,signmethod=hmacsha256,timestamp=" + kTimestamp), user,
                upper(kCliSha256WithTimestamp)) == kAccepted);
  CHECK(connect(broker, client_id(kPk, kDn, "securemode=2,signmethod=hmacsha1"), user, kCliSha1NoTimestamp) ==
        kAccepted);
  CHECK(connect(broker, client_id(kPk, kDn, "securemode=3,signmethod=hmacmd5,timestamp=" + kTimestamp), user,
                kCliMd5WithTimestamp) == kAccepted);
}

TEST_CASE("every sign method, with and without timestamp, in either hex case, is accepted", "[integration]") {
  MosquittoBroker broker(auth_options());
  const auto [method, md] = GENERATE(table<std::string, const EVP_MD*>(
      {{"hmacsha256", EVP_sha256()}, {"hmacsha1", EVP_sha1()}, {"hmacmd5", EVP_md5()}, {"HmacSha256", EVP_sha256()}}));
  const std::string timestamp = GENERATE(std::string{}, std::string{"2524608000000"}, std::string{"123"});
  const bool uppercase = GENERATE(false, true);
  CAPTURE(method, timestamp, uppercase);

  std::string pairs = "securemode=3,signmethod=" + method;
  if (!timestamp.empty()) pairs += ",timestamp=" + timestamp;
  std::string password = sign(md, kPk, kDn, kSecret, timestamp);
  if (uppercase) password = upper(password);
  CHECK(connect(broker, client_id(kPk, kDn, pairs), kDn + "&" + kPk, password) == kAccepted);
}

TEST_CASE("unknown pairs in the client id are ignored, in any order", "[integration]") {
  MosquittoBroker broker(auth_options());
  const std::string pairs = GENERATE(
      std::string{"securemode=2,signmethod=hmacsha256,timestamp=2524608000000,_v=sdk-c-4.2.0,lan=C"},
      std::string{"_v=sdk-c-3.2.0,timestamp=2524608000000,lan=C,signmethod=hmacsha256,securemode=3,_ss=1"},
      std::string{"securemode=3,_empty=,signmethod=hmacsha256,timestamp=2524608000000"});
  CAPTURE(pairs);
  CHECK(connect(broker, client_id(kPk, kDn, pairs), kDn + "&" + kPk, kCliSha256WithTimestamp) == kAccepted);
}

TEST_CASE("a sign made with the wrong secret is refused, and neither secret nor sign is logged", "[integration]") {
  MosquittoBroker broker(auth_options());
  const std::string id = client_id(kPk, kDn, "securemode=3,signmethod=hmacsha256,timestamp=" + kTimestamp);
  const std::string wrong = sign(EVP_sha256(), kPk, kDn, "notTheSecret", kTimestamp);
  CHECK(connect(broker, id, kDn + "&" + kPk, wrong) == kNotAuthorised);
  // The sign for another timestamp than the one in the client id.
  CHECK(connect(broker, client_id(kPk, kDn, "securemode=3,signmethod=hmacsha256,timestamp=1"), kDn + "&" + kPk,
                kCliSha256WithTimestamp) == kNotAuthorised);
  // The right digest, the wrong method.
  CHECK(connect(broker, client_id(kPk, kDn, "securemode=3,signmethod=hmacsha1,timestamp=" + kTimestamp),
                kDn + "&" + kPk, kCliSha256WithTimestamp) == kNotAuthorised);
  // A truncated sign, and one with a non-hex character.
  CHECK(connect(broker, id, kDn + "&" + kPk, kCliSha256WithTimestamp.substr(0, 63)) == kNotAuthorised);
  CHECK(connect(broker, id, kDn + "&" + kPk, kCliSha256WithTimestamp.substr(0, 63) + "g") == kNotAuthorised);

  const std::string log = broker.log();
  CHECK(log.find("bad sign") != std::string::npos);
  CHECK(log.find(kSecret) == std::string::npos);
  CHECK(log.find(kCliSha256WithTimestamp) == std::string::npos);
  CHECK(log.find(upper(kCliSha256WithTimestamp)) == std::string::npos);
}

TEST_CASE("a device that is not in the devices file is refused", "[integration]") {
  MosquittoBroker broker(auth_options());
  const std::string pairs = "securemode=3,signmethod=hmacsha256,timestamp=" + kTimestamp;
  // Signed correctly with a secret the broker has never heard of.
  CHECK(connect(broker, client_id("a1B", "ghost", pairs), "ghost&a1B",
                sign(EVP_sha256(), "a1B", "ghost", kSecret, kTimestamp)) == kNotAuthorised);
  // A known device name under another product.
  CHECK(connect(broker, client_id("zzz", kDn, pairs), kDn + "&zzz", sign(EVP_sha256(), "zzz", kDn, kSecret, kTimestamp)) ==
        kNotAuthorised);
  CHECK(broker.log().find("unknown device") != std::string::npos);
}

TEST_CASE("a username other than {dn}&{pk} is refused", "[integration]") {
  MosquittoBroker broker(auth_options());
  const std::string id = client_id(kPk, kDn, "securemode=3,signmethod=hmacsha256,timestamp=" + kTimestamp);
  const std::string username =
      GENERATE(std::string{"a1B&dev"}, std::string{"dev&a1B "}, std::string{"dev&a1Bx"}, std::string{"dev"},
               std::string{"dev&"}, std::string{"&a1B"}, std::string{"other&p2"});
  CAPTURE(username);
  CHECK(connect(broker, id, username, kCliSha256WithTimestamp) == kNotAuthorised);
  CHECK(broker.log().find("wrong username") != std::string::npos);
}

TEST_CASE("a missing username or password is refused", "[integration]") {
  MosquittoBroker broker(auth_options());
  const std::string id = client_id(kPk, kDn, "securemode=3,signmethod=hmacsha256,timestamp=" + kTimestamp);
  CHECK(raw_connect(broker.port(), id, std::nullopt, std::nullopt) == kNotAuthorised);
  CHECK(raw_connect(broker.port(), id, kDn + "&" + kPk, std::nullopt) == kNotAuthorised);
  CHECK(raw_connect(broker.port(), id, kDn + "&" + kPk, std::string{}) == kNotAuthorised);
  // The same path with everything present, as a control.
  CHECK(raw_connect(broker.port(), id, kDn + "&" + kPk, kCliSha256WithTimestamp) == kAccepted);
}

TEST_CASE("malformed client ids are refused and the broker keeps running", "[integration]") {
  MosquittoBroker broker(auth_options());
  const std::string user = kDn + "&" + kPk;
  const std::string good = "securemode=3,signmethod=hmacsha256,timestamp=" + kTimestamp;
  const std::string id = GENERATE_COPY(
      std::string{"a1B.dev"},                                  // no bars
      std::string{"a1B.dev|securemode=3,signmethod=hmacsha256"},  // no closing bar
      std::string{"a1B.dev|"} + good + "|x",                   // text after the closing bar
      std::string{"a1B.dev|"} + good + "||",                   // a third bar
      std::string{"a1Bdev|"} + good + "|",                     // no dot
      std::string{".dev|"} + good + "|",                       // empty product key
      std::string{"a1B.|"} + good + "|",                       // empty device name
      std::string{"||"}, std::string{"|"}, std::string{"."},
      std::string{"a1B.dev||"},                                               // no pairs
      std::string{"a1B.dev|signmethod=hmacsha256,timestamp=1|"},              // no securemode
      std::string{"a1B.dev|securemode=1,signmethod=hmacsha256|"},             // securemode 1
      std::string{"a1B.dev|securemode=-2,signmethod=hmacsha256|"},            // securemode -2
      std::string{"a1B.dev|securemode=33,signmethod=hmacsha256|"},            // securemode 33
      std::string{"a1B.dev|securemode=3|"},                                   // no signmethod
      std::string{"a1B.dev|securemode=3,signmethod=hmacsha512|"},             // unknown method
      std::string{"a1B.dev|securemode=3,signmethod=|"},                       // empty method
      std::string{"a1B.dev|securemode=3,signmethod=hmacsha256,timestamp=|"},  // empty timestamp
      std::string{"a1B.dev|securemode=3,signmethod=hmacsha256,timestamp=12a|"},
      std::string{"a1B.dev|securemode=3,signmethod=hmacsha256,timestamp=123456789012345678901|"},
      std::string{"a1B.dev|securemode=3,securemode=3,signmethod=hmacsha256|"},  // duplicate key
      std::string{"a1B.dev|securemode=3,signmethod=hmacsha256,novalue|"},       // pair without '='
      std::string{"a1B.dev|securemode=3,,signmethod=hmacsha256|"},              // empty pair
      std::string{"a1B.dev|=3,securemode=3,signmethod=hmacsha256|"},            // empty key
      "a1B.dev|" + good + "," + std::string(2000, 'x') + "|",                   // over the length limit
      std::string(2000, 'a'),                                                   // 2000 chars, no structure
      "a1B." + std::string(2000, 'd') + "|" + good + "|",                       // huge device name
      "a1B." + std::string(500, 'd') + "|" + good + "|");                       // over the table's dn limit
  CAPTURE(id.size(), id.substr(0, 80));
  CHECK(connect(broker, id, user, kCliSha256WithTimestamp) == kNotAuthorised);
  require_device_still_accepted(broker);
}

TEST_CASE("an empty client id is refused", "[integration]") {
  MosquittoBroker broker(auth_options());
  // libmosquitto will not send an empty id; the broker then assigns an "auto-..." one.
  CHECK(raw_connect(broker.port(), "", kDn + "&" + kPk, kCliSha256WithTimestamp) == kNotAuthorised);
  // Bytes that are valid UTF-8 but not ASCII, and a log-forging line break.
  CHECK(raw_connect(broker.port(), "a1B.d\xc3\xa9v|securemode=3,signmethod=hmacsha256|", kDn + "&" + kPk,
                    kCliSha256WithTimestamp) == kNotAuthorised);
  // mosquitto may already drop this as malformed UTF-8; either way it must not get in.
  CHECK(raw_connect(broker.port(), "a1B.dev\nfake log line|securemode=3,signmethod=hmacsha256|", kDn + "&" + kPk,
                    kCliSha256WithTimestamp) != kAccepted);
  CHECK(broker.log().find("\nfake log line") == std::string::npos);
  require_device_still_accepted(broker);
}

TEST_CASE("the platform superuser signs in with any client id", "[integration]") {
  BrokerOptions options = auth_options();
  options.platform_username = "platform";
  options.platform_password = "pl@tform pass";
  MosquittoBroker broker(options);
  CHECK(connect(broker, "cloudsim-1", "platform", "pl@tform pass") == kAccepted);
  CHECK(connect(broker, "cloudsim-2", "platform", "pl@tform pas") == kNotAuthorised);
  CHECK(connect(broker, "cloudsim-3", "platform", "pl@tform pass ") == kNotAuthorised);
  CHECK(connect(broker, "cloudsim-4", "platforM", "pl@tform pass") == kNotAuthorised);
  require_device_still_accepted(broker);
}

TEST_CASE("without platform options there is no superuser", "[integration]") {
  MosquittoBroker broker(auth_options());
  CHECK(connect(broker, "cloudsim", "platform", "") == kNotAuthorised);
  CHECK(connect(broker, "cloudsim", "", "") == kNotAuthorised);
}

TEST_CASE("a device added at run time signs in without a broker restart", "[integration]") {
  MosquittoBroker broker(auth_options());
  const std::string pairs = "securemode=3,signmethod=hmacsha256,timestamp=" + kTimestamp;
  const std::string password = sign(EVP_sha256(), "p9", "late", "lateSecret", kTimestamp);
  CHECK(connect(broker, client_id("p9", "late", pairs), "late&p9", password) == kNotAuthorised);
  broker.add_device("p9", "late", "lateSecret");
  CHECK(connect(broker, client_id("p9", "late", pairs), "late&p9", password) == kAccepted);
  // Appending a device again changes its secret: later lines win.
  broker.add_device("p9", "late", "newSecret");
  CHECK(connect(broker, client_id("p9", "late", pairs), "late&p9", password) == kNotAuthorised);
  CHECK(connect(broker, client_id("p9", "late", pairs), "late&p9",
                sign(EVP_sha256(), "p9", "late", "newSecret", kTimestamp)) == kAccepted);
  require_device_still_accepted(broker);
}

TEST_CASE("malformed lines in the devices file are skipped, the rest is used", "[integration]") {
  MosquittoBroker broker(auth_options());
  {
    std::ofstream devices(broker.dir() / "devices.txt", std::ios::app);
    devices << "\n   \n# a comment\n"
            << "onlytwo fields\n"
            << "four fields are toomany\n"
            << "pk.dot dn secret\n"
            << std::string(300, 'p') << " dn secret\n"
            << "  p3\tspaced   spacedSecret   # trailing comment\r\n";
  }
  const std::string pairs = "securemode=3,signmethod=hmacsha256,timestamp=" + kTimestamp;
  CHECK(connect(broker, client_id("p3", "spaced", pairs), "spaced&p3",
                sign(EVP_sha256(), "p3", "spaced", "spacedSecret", kTimestamp)) == kAccepted);
  CHECK(connect(broker, client_id("onlytwo", "fields", pairs), "fields&onlytwo",
                sign(EVP_sha256(), "onlytwo", "fields", "", kTimestamp)) == kNotAuthorised);
  require_device_still_accepted(broker);
  const std::string log = broker.log();
  CHECK(log.find("malformed line skipped") != std::string::npos);
  CHECK(log.find("toomany") == std::string::npos);  // lines are never echoed: they may hold secrets
}

TEST_CASE("an authenticated device can subscribe and receive its own publish", "[integration]") {
  MosquittoBroker broker(auth_options());
  SyncClient client({client_id(kPk, kDn, "securemode=3,signmethod=hmacsha256,timestamp=" + kTimestamp),
                     kDn + "&" + kPk, kCliSha256WithTimestamp, {}});
  REQUIRE(client.connect(broker.port()) == kAccepted);
  REQUIRE(client.subscribe("/ota/device/upgrade/a1B/dev", 1));
  REQUIRE(client.subscribe("/sys/a1B/dev/#", 0));
  REQUIRE(client.publish("/ota/device/upgrade/a1B/dev", R"({"code":"1000"})"));
  CHECK(client.wait_message("/ota/device/upgrade/a1B/dev") == R"({"code":"1000"})");
  REQUIRE(client.publish("/sys/a1B/dev/thing/ota/firmware/get_reply", "{}"));
  CHECK(client.wait_message("/sys/a1B/dev/thing/ota/firmware/get_reply") == "{}");
  // The broker's log records subscriptions (later tests rely on it).
  CHECK(broker.log().find("/ota/device/upgrade/a1B/dev") != std::string::npos);
}

TEST_CASE("kill() then start() brings the broker back on the same port", "[integration]") {
  MosquittoBroker broker(auth_options());
  const auto port = broker.port();
  SyncClient before({client_id(kPk, kDn, "securemode=3,signmethod=hmacsha256,timestamp=" + kTimestamp),
                     kDn + "&" + kPk, kCliSha256WithTimestamp, {}});
  REQUIRE(before.connect(port) == kAccepted);  // a live connection while the broker dies

  broker.kill();
  CHECK_FALSE(broker.running());
  CHECK(connect(broker, "x", "y", "z") == kNoConnack);
  broker.start();
  CHECK(broker.running());
  CHECK(broker.port() == port);
  require_device_still_accepted(broker);

  broker.stop();
  CHECK_FALSE(broker.running());
  broker.start();
  CHECK(broker.port() == port);
  require_device_still_accepted(broker);
  broker.start();  // already running: no-op
  CHECK(broker.running());
}

TEST_CASE("a TLS listener is reachable with the test CA only", "[integration]") {
  BrokerOptions options = auth_options();
  options.tls = true;
  MosquittoBroker broker(options);
  const std::string id = client_id(kPk, kDn, "securemode=2,signmethod=hmacsha256,timestamp=" + kTimestamp);
  const std::string user = kDn + "&" + kPk;
  {
    SyncClient client({id, user, kCliSha256WithTimestamp, broker.ca_file()});
    CHECK(client.connect(broker.port()) == kAccepted);
  }
  {
    SyncClient client({id, user, "00", broker.ca_file()});
    CHECK(client.connect(broker.port()) == kNotAuthorised);
  }
  {
    SyncClient plain({id, user, kCliSha256WithTimestamp, {}});
    CHECK(plain.connect(broker.port()) == kNoConnack);
  }
  {
    // Another CA, freshly generated: the handshake must fail verification.
    const auto other_dir = broker.dir() / "other-ca";
    std::filesystem::create_directory(other_dir);
    const auto other = otagw::test_support::make_test_pki(other_dir);
    SyncClient stranger({id, user, kCliSha256WithTimestamp, other.ca_cert});
    CHECK(stranger.connect(broker.port()) == kNoConnack);
  }
  CHECK(broker.running());
}

TEST_CASE("without auth the broker takes anonymous clients", "[integration]") {
  MosquittoBroker broker;
  CHECK(connect(broker, "anyone", "", "") == kAccepted);
  CHECK_THROWS_AS(broker.add_device("a", "b", "c"), std::logic_error);
  CHECK_THROWS_AS(broker.ca_file(), std::logic_error);
}

TEST_CASE("free_loopback_port hands out usable, varying ports", "[integration]") {
  std::set<std::uint16_t> ports;
  for (int i = 0; i < 20; ++i) ports.insert(otagw::test_support::free_loopback_port());
  CHECK(ports.count(0) == 0);
  CHECK(ports.size() > 1);
}

TEST_CASE("two brokers run side by side on different ports", "[integration]") {
  MosquittoBroker a(auth_options());
  MosquittoBroker b;
  CHECK(a.port() != b.port());
  CHECK(connect(b, "anyone", "", "") == kAccepted);
  require_device_still_accepted(a);
}

TEST_CASE("the destructor stops the broker and removes its directory", "[integration]") {
  std::filesystem::path dir;
  std::uint16_t port = 0;
  {
    MosquittoBroker broker;
    dir = broker.dir();
    port = broker.port();
    REQUIRE(std::filesystem::exists(dir / "mosquitto.conf"));
  }
  CHECK_FALSE(std::filesystem::exists(dir));
  SyncClient client({"late", "", "", {}});
  CHECK(client.connect(port) == kNoConnack);
}

TEST_CASE("options that cannot go into the broker's files are refused", "[integration]") {
  BrokerOptions options;
  options.platform_username = "only-one";
  CHECK_THROWS_AS(MosquittoBroker(options), std::invalid_argument);
  options.platform_password = "line\nbreak";
  CHECK_THROWS_AS(MosquittoBroker(options), std::invalid_argument);
  BrokerOptions devices;
  devices.auth = true;
  devices.devices = {{"pk", "dn with space", "s"}};
  CHECK_THROWS_AS(MosquittoBroker(devices), std::invalid_argument);
}
