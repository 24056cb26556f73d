// The message seam: every topic kind is classified once, payloads are parsed
// within bounds, and every field is converted with its type checked. Nothing
// throws; an unusable offer says which field.
#include <catch2/catch.hpp>

#include "subdev/bounded_json.hpp"
#include "subdev/cloud_message.hpp"
#include "subdev/drop_log.hpp"
#include "subdev/message_error.hpp"
#include "transports/log_text.hpp"

using namespace otagw::subdev;
using otagw::log_text;
using otagw::transports::DigestMethod;

namespace {

const GatewayIdentity kGateway{"a1GwProd01", "gw-0001"};
constexpr const char* kReplyTopic = "/sys/a1SubProd1/sub-0001/thing/ota/firmware/get_reply";
constexpr const char* kPushTopic = "/ota/device/upgrade/a1SubProd1/sub-0001";
const std::string kMd5(32, 'a');
const std::string kSha256(64, 'B');

nlohmann::json good_offer() {
  return {{"size", 1024}, {"version", "1.2.0"}, {"url", "https://fw.example/a.bin"}, {"signMethod", "SHA256"},
          {"sign", kSha256}, {"module", "mcu"}, {"isDiff", 1}, {"extData", {{"k", "v"}}}};
}

std::string reply_with(const nlohmann::json& data, const std::string& id = "42") {
  return nlohmann::json{{"id", id}, {"code", 200}, {"data", data}, {"message", "success"}}.dump();
}

FirmwareGetReply decode_reply(const std::string& payload) {
  auto message = decode_cloud_message(kReplyTopic, payload, kGateway);
  REQUIRE(message);
  REQUIRE(std::holds_alternative<FirmwareGetReply>(message->body));
  return std::get<FirmwareGetReply>(std::move(message->body));
}

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// Why a message did not convert: an unknown topic, or a malformed payload.
MessageErrc failure(std::string_view topic, std::string_view payload) {
  auto message = decode_cloud_message(topic, payload, kGateway);
  if (!message) return static_cast<MessageErrc>(message.error().code.value());
  const auto* malformed = std::get_if<MalformedMessage>(&message->body);
  REQUIRE(malformed != nullptr);
  CHECK(malformed->error.code.category() == message_category());
  return static_cast<MessageErrc>(malformed->error.code.value());
}

}  // namespace

TEST_CASE("topics: each kind is classified once, with its device", "[unit][messages]") {
  struct Case {
    const char* topic;
    CloudTopic kind;
    const char* device;
  };
  const Case cases[] = {
      {"/sys/a1GwProd01/gw-0001/thing/topo/add_reply", CloudTopic::topo_add_reply, "a1GwProd01.gw-0001"},
      {"/sys/a1GwProd01/gw-0001/thing/topo/delete_reply", CloudTopic::topo_delete_reply, "a1GwProd01.gw-0001"},
      {"/ext/session/a1GwProd01/gw-0001/combine/batch_login_reply", CloudTopic::login_reply, "a1GwProd01.gw-0001"},
      {"/ext/session/a1GwProd01/gw-0001/combine/batch_logout_reply", CloudTopic::logout_reply, "a1GwProd01.gw-0001"},
      {kReplyTopic, CloudTopic::firmware_get_reply, "a1SubProd1.sub-0001"},
      {kPushTopic, CloudTopic::upgrade_push, "a1SubProd1.sub-0001"},
      // Another gateway's replies, wrong level counts, empty levels: unknown.
      {"/sys/a1Other/gw-0001/thing/topo/add_reply", CloudTopic::unknown, ""},
      {"/sys/a1GwProd01/gw-9/thing/topo/delete_reply", CloudTopic::unknown, ""},
      {"/sys/a1GwProd01/gw-0001/thing/topo/delete", CloudTopic::unknown, ""},  // our own request, not a reply
      {"/sys/a1GwProd01/gw-0001/thing/topo/delete_reply/x", CloudTopic::unknown, ""},
      {"/ext/session/a1GwProd01/gw-9/combine/batch_login_reply", CloudTopic::unknown, ""},
      {"/ext/session/a1GwProd01/gw-0001/combine/login_reply", CloudTopic::unknown, ""},
      {"/sys/a1SubProd1/sub-0001/thing/ota/firmware/get_reply/x", CloudTopic::unknown, ""},
      {"/sys/a1SubProd1//thing/ota/firmware/get_reply", CloudTopic::unknown, ""},
      {"/ota/device/upgrade/a1SubProd1", CloudTopic::unknown, ""},
      {"/ota/device/upgrade/a1SubProd1/sub-0001/", CloudTopic::unknown, ""},
      {"ota/device/upgrade/a1SubProd1/sub-0001", CloudTopic::unknown, ""},
      {"/ota/device/inform/a1SubProd1/sub-0001", CloudTopic::unknown, ""},
      {"", CloudTopic::unknown, ""},
  };
  for (const Case& c : cases) {
    INFO(c.topic);
    const TopicMatch match = classify_topic(c.topic, kGateway);
    CHECK(match.kind == c.kind);
    if (c.kind != CloudTopic::unknown) CHECK(match.device_key() == c.device);
  }
  CHECK(decode_cloud_message("/a/b", "{}", kGateway).error().code == MessageErrc::unknown_topic);
}

TEST_CASE("topology delete replies are envelopes like the other gateway replies", "[unit][messages]") {
  const std::string topic = "/sys/a1GwProd01/gw-0001/thing/topo/delete_reply";
  auto message = decode_cloud_message(topic, R"({"id":"9","code":200,"data":{},"message":"success"})", kGateway);
  REQUIRE(message);
  CHECK(message->topic.kind == CloudTopic::topo_delete_reply);
  const auto& reply = std::get<PlatformReply>(message->body);
  CHECK(reply.id == "9");
  CHECK(reply.code == 200);

  // A refusal's data lists the failing devices; only the code is used.
  message = decode_cloud_message(
      topic, R"({"id":"10","code":6401,"data":[{"productKey":"p","deviceName":"d","code":6401}],"message":"no topo"})",
      kGateway);
  REQUIRE(message);
  CHECK(std::get<PlatformReply>(message->body).code == 6401);
  CHECK(std::get<PlatformReply>(message->body).message == "no topo");

  // Without a usable code it cannot be acted on, but its id is kept for the log.
  message = decode_cloud_message(topic, R"({"id":"11","code":"200"})", kGateway);
  REQUIRE(message);
  const auto* malformed = std::get_if<MalformedMessage>(&message->body);
  REQUIRE(malformed != nullptr);
  CHECK(malformed->error.code == MessageErrc::wrong_type);
  CHECK(malformed->id == "11");
  CHECK(failure(topic, "not json") == MessageErrc::not_json);
}

TEST_CASE("payloads: size, depth and UTF-8 are bounded before conversion", "[unit][messages]") {
  const std::string topo = "/sys/a1GwProd01/gw-0001/thing/topo/add_reply";
  // 100,000 levels once crashed the daemon (a recursive copy): refused by the
  // first, allocation-free pass.
  const std::string deep = R"({"id":"1","code":200,"data":)" + nested(100000) + "}";
  CHECK(failure(topo, deep) == MessageErrc::too_large);
  const std::string deep_small = R"({"id":"1","code":200,"data":)" + nested(20000) + "}";
  CHECK(failure(topo, deep_small) == MessageErrc::too_deep);
  CHECK(parse_bounded_json(nested(16), {}).has_value());
  CHECK(parse_bounded_json(nested(17), {}).error().code == MessageErrc::too_deep);
  CHECK(parse_bounded_json(std::string(100, ' ') + "{}", {64, 16}).error().code == MessageErrc::too_large);

  for (const std::string& bad : {std::string("not json"), std::string("{\"id\":\"1\",\"code\":200"),
                                std::string("{\"id\":\"\xff\xfe\",\"code\":200}"), std::string("\0{}", 3),
                                std::string("{\"id\":\"1\",\"code\":200}{}"), std::string()}) {
    INFO(bad);
    CHECK(failure(topo, bad) == MessageErrc::not_json);
  }
  CHECK(failure(topo, "[1,2]") == MessageErrc::not_object);
}

TEST_CASE("envelopes: id as string or integer, code a 64-bit integer", "[unit][messages]") {
  const std::string topic = "/ext/session/a1GwProd01/gw-0001/combine/batch_login_reply";
  auto message = decode_cloud_message(topic, R"({"id":"42","code":200,"data":{},"message":"success"})", kGateway);
  REQUIRE(message);
  const auto& reply = std::get<PlatformReply>(message->body);
  CHECK(reply.id == "42");
  CHECK(reply.code == 200);
  CHECK(reply.message == "success");

  // 2^32 + 200 once read as 200.
  message = decode_cloud_message(topic, R"({"id":7,"code":4294967496})", kGateway);
  REQUIRE(message);
  CHECK(std::get<PlatformReply>(message->body).id == "7");
  CHECK(std::get<PlatformReply>(message->body).code == 4294967496);
  message = decode_cloud_message(topic, R"({"id":-3,"code":-9223372036854775808})", kGateway);
  REQUIRE(message);
  CHECK(std::get<PlatformReply>(message->body).id == "-3");

  struct Bad {
    const char* payload;
    MessageErrc code;
  };
  const Bad bad[] = {
      {R"({"code":200})", MessageErrc::missing_field},
      {R"({"id":null,"code":200})", MessageErrc::missing_field},
      {R"({"id":"1"})", MessageErrc::missing_field},
      {R"({"id":"1","code":"200"})", MessageErrc::wrong_type},
      {R"({"id":"1","code":200.0})", MessageErrc::wrong_type},
      {R"({"id":"1","code":18446744073709551615})", MessageErrc::out_of_range},
      {R"({"id":{},"code":200})", MessageErrc::wrong_type},
      {R"({"id":1180591620717411303424,"code":200})", MessageErrc::wrong_type},  // 2^70: a float to the parser
      {R"({"id":18446744073709551615,"code":200})", MessageErrc::out_of_range},
      {R"({"id":"1","code":200,"message":7})", MessageErrc::wrong_type},
  };
  for (const Bad& b : bad) {
    INFO(b.payload);
    CHECK(failure(topic, b.payload) == b.code);
  }
  // The id of a reply whose envelope is broken is kept when readable: the
  // channel still matches it to its query.
  auto broken = decode_cloud_message(kReplyTopic, R"({"id":"5","code":"200","data":{}})", kGateway);
  REQUIRE(broken);
  REQUIRE(std::holds_alternative<MalformedMessage>(broken->body));
  CHECK(std::get<MalformedMessage>(broken->body).id == "5");
  CHECK_THAT(std::get<MalformedMessage>(broken->body).error.context, Catch::Contains("\"code\""));
  broken = decode_cloud_message(kReplyTopic, "[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]", kGateway);
  REQUIRE(broken);
  CHECK_FALSE(std::get<MalformedMessage>(broken->body).id.has_value());

  const std::string long_id = R"({"id":")" + std::string(65, '1') + R"(","code":200})";
  CHECK(failure(topic, long_id) == MessageErrc::bad_value);
}

TEST_CASE("firmware/get replies: up to date, an offer, or a code", "[unit][messages]") {
  CHECK(decode_reply(reply_with(nlohmann::json::object())).no_firmware);
  CHECK(decode_reply(R"({"id":"1","code":200,"data":null})").no_firmware);
  CHECK(decode_reply(R"({"id":"1","code":200})").no_firmware);
  const auto refused = decode_reply(R"({"id":"1","code":500,"data":{"version":7},"message":"x"})");
  CHECK(refused.envelope.code == 500);
  CHECK_FALSE(refused.no_firmware);  // a code other than 200: the data is not read

  const auto reply = decode_reply(reply_with(good_offer()));
  REQUIRE(reply.offer);
  const FirmwareOffer& offer = *reply.offer;
  CHECK(offer.version == "1.2.0");
  CHECK(offer.module == "mcu");
  CHECK(offer.is_diff);
  CHECK(offer.sign_method == DigestMethod::sha256);
  CHECK_FALSE(offer.multi_file);
  REQUIRE(offer.files.size() == 1);
  CHECK(offer.files[0].name == "image.bin");
  CHECK(offer.files[0].size == 1024);
  CHECK(offer.files[0].sign == std::string(64, 'b'));  // lower case
  CHECK(offer.files[0].url == "https://fw.example/a.bin");
  CHECK(nlohmann::json::parse(offer.ext_data) == nlohmann::json{{"k", "v"}});
  CHECK(offer.total_size() == 1024);
}

TEST_CASE("firmware offers: each field of the wrong type or form is named", "[unit][messages]") {
  struct Case {
    const char* field;
    nlohmann::json value;  // null = removed
    MessageErrc code;
  };
  const Case cases[] = {
      {"signMethod", 256, MessageErrc::wrong_type},
      {"signMethod", nullptr, MessageErrc::missing_field},
      {"signMethod", "CRC32", MessageErrc::bad_value},
      {"size", "1024", MessageErrc::wrong_type},
      {"size", -5, MessageErrc::out_of_range},
      {"size", 0, MessageErrc::out_of_range},
      {"size", 1.5, MessageErrc::wrong_type},
      {"size", 18446744073709551615ULL, MessageErrc::out_of_range},
      {"url", 42, MessageErrc::wrong_type},
      {"url", "https://x/a b", MessageErrc::bad_value},
      {"url", "", MessageErrc::bad_value},
      {"version", 7, MessageErrc::wrong_type},
      {"version", "../../etc/passwd", MessageErrc::bad_value},
      {"version", "1.0 beta", MessageErrc::bad_value},
      {"version", "", MessageErrc::bad_value},
      {"version", std::string(33, '1'), MessageErrc::bad_value},
      {"sign", 12345, MessageErrc::wrong_type},
      {"sign", std::string(64, 'g'), MessageErrc::bad_value},
      {"sign", kMd5, MessageErrc::bad_value},  // an MD5's length for a SHA256 package
      {"md5", 12345, MessageErrc::wrong_type},
      {"module", 3, MessageErrc::wrong_type},
      {"module", "a b", MessageErrc::bad_value},
      {"isDiff", nlohmann::json::object(), MessageErrc::bad_value},
      {"isDiff", 2, MessageErrc::bad_value},
      {"isDiff", "yes", MessageErrc::bad_value},
      {"extData", "string", MessageErrc::wrong_type},
      {"extData", nlohmann::json{{"_package_udi", std::string(17000, 'u')}}, MessageErrc::bad_value},
      {"files", "notalist", MessageErrc::wrong_type},
      {"files", nlohmann::json::array(), MessageErrc::bad_value},
      {"dProtocol", 1, MessageErrc::wrong_type},
  };
  for (const Case& c : cases) {
    nlohmann::json data = good_offer();
    if (c.value.is_null()) {
      data.erase(c.field);
    } else {
      data[c.field] = c.value;
    }
    INFO(data.dump());
    for (const char* topic : {kReplyTopic, kPushTopic}) {
      auto message = decode_cloud_message(topic, reply_with(data), kGateway);
      REQUIRE(message);
      if (std::string(c.field) == "module" && std::string(topic) == kPushTopic && c.code == MessageErrc::wrong_type) {
        // A push's module says which query it answers: without one the
        // push is malformed whole.
        CHECK(std::holds_alternative<MalformedMessage>(message->body));
        continue;
      }
      const otagw::Expected<FirmwareOffer>& offer = std::holds_alternative<FirmwareGetReply>(message->body)
                                                 ? std::get<FirmwareGetReply>(message->body).offer
                                                 : std::get<UpgradePush>(message->body).offer;
      REQUIRE_FALSE(offer);
      CHECK(offer.error().code == c.code);
      CHECK_THAT(offer.error().context, Catch::Contains(std::string("\"") + c.field));
    }
  }
  // null for an optional field is its absence.
  nlohmann::json data = good_offer();
  data["module"] = nullptr;
  data["isDiff"] = nullptr;
  data["extData"] = nullptr;
  const auto offer = decode_reply(reply_with(data)).offer;
  REQUIRE(offer);
  CHECK(offer->module.empty());
  CHECK_FALSE(offer->is_diff);
  CHECK(offer->ext_data == "{}");
  for (const nlohmann::json& diff : {nlohmann::json(true), nlohmann::json("1"), nlohmann::json(1)}) {
    data["isDiff"] = diff;
    CHECK(decode_reply(reply_with(data)).offer->is_diff);
  }
}

TEST_CASE("firmware offers: multi-file packages are converted file by file", "[unit][messages]") {
  auto file = [](std::string name) {
    return nlohmann::json{{"fileName", std::move(name)}, {"fileUrl", "https://fw.example/f"}, {"fileSize", 10},
                          {"fileSign", kMd5}};
  };
  nlohmann::json data = {{"version", "2.0"}, {"signMethod", "Md5"}, {"files", {file("a.bin"), file("b.bin")}}};
  auto offer = decode_reply(reply_with(data)).offer;
  REQUIRE(offer);
  CHECK(offer->multi_file);
  CHECK(offer->sign_method == DigestMethod::md5);
  REQUIRE(offer->files.size() == 2);
  CHECK(offer->files[1].name == "b.bin");
  CHECK(offer->total_size() == 20);

  struct Case {
    nlohmann::json files;
    const char* path;
  };
  nlohmann::json wrong_size = file("a");
  wrong_size["fileSize"] = "x";
  // A name of 200 bytes that a cut at 64 would split inside a character.
  std::string accented = "a";
  for (int i = 0; i < 100; ++i) accented += "\xc3\xa9";
  const Case cases[] = {
      {{file("a"), wrong_size}, "files[1].fileSize"},
      {{file("../etc/passwd")}, "files[0].fileName"},
      {{file(".hidden")}, "files[0].fileName"},
      {{file("manifest.json")}, "files[0].fileName"},
      {{file(accented)}, "files[0].fileName"},
      {{file("a"), file("a")}, "files[1].fileName"},
      {{"a string"}, "files[0]"},
      {nlohmann::json::array(), "files"},
  };
  for (const Case& c : cases) {
    data["files"] = c.files;
    INFO(data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    auto refused = decode_reply(reply_with(data)).offer;
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.error().context, Catch::Contains(c.path));
    CHECK_NOTHROW(nlohmann::json(refused.error().context).dump());  // valid UTF-8, fit for a desc
  }
  nlohmann::json many = nlohmann::json::array();
  for (int i = 0; i < 21; ++i) many.push_back(file("f" + std::to_string(i)));
  data["files"] = many;
  CHECK(decode_reply(reply_with(data)).offer.error().code == MessageErrc::bad_value);
}

TEST_CASE("upgrade pushes: the module says which query they answer", "[unit][messages]") {
  const std::string push = nlohmann::json{{"code", "1000"}, {"id", 1}, {"data", good_offer()}}.dump();
  auto message = decode_cloud_message(kPushTopic, push, kGateway);
  REQUIRE(message);
  CHECK(message->topic.device_key() == "a1SubProd1.sub-0001");
  const auto& upgrade = std::get<UpgradePush>(message->body);
  CHECK(upgrade.module == "mcu");
  CHECK(upgrade.offer);
  CHECK(failure(kPushTopic, R"({"code":"1000"})") == MessageErrc::missing_field);
  CHECK(failure(kPushTopic, R"({"data":[1]})") == MessageErrc::not_object);
  auto stream = decode_cloud_message(
      kPushTopic, R"({"data":{"version":"2.0","dProtocol":"mqtt","streamId":1,"streamFileId":1}})", kGateway);
  REQUIRE(stream);
  CHECK(std::get<UpgradePush>(stream->body).offer->mqtt_stream);
}

TEST_CASE("log text: cloud text cannot forge lines, priorities or terminal control", "[unit][messages]") {
  CHECK(log_text("plain text: ok") == "plain text: ok");
  CHECK(log_text("a\nb\r\tc\\") == "a\\nb\\r\\tc\\\\");
  CHECK(log_text("x\n<3>forged") == "x\\n<3>forged");
  CHECK(log_text("\x1b[2J") == "\\x1b[2J");
  CHECK(log_text(std::string("nul\0", 4)) == "nul\\x00");
  CHECK(log_text("\x7f") == "\\x7f");
  CHECK(log_text("\xc2\x9b" "31m") == "\\u009b31m");  // C1 CSI
  CHECK(log_text("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(log_text("\xff\xc3") == "\\xff\\xc3");
  CHECK(log_text("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate
  CHECK(log_text("\xe0\x80\xaf") == "\\xe0\\x80\\xaf");  // overlong '/'
  // Cut at a character boundary, never inside one.
  CHECK(log_text("ab\xc3\xa9", 3) == "ab...[2 bytes more]");
  CHECK(log_text(std::string(1000, 'x')).size() < 300);
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  CHECK_NOTHROW(nlohmann::json(log_text(all, 10000)).dump());
  CHECK(log_text(all, 10000).find('\n') == std::string::npos);
}

TEST_CASE("dropped-message lines: at most 20 a minute, then the rest are counted", "[unit][messages]") {
  DropLog drops;
  const auto start = std::chrono::steady_clock::now() + std::chrono::hours(1);  // past the first window
  int admitted = 0;
  for (int i = 0; i < 100; ++i) admitted += drops.admit(start + std::chrono::milliseconds(i)) ? 1 : 0;
  CHECK(admitted == static_cast<int>(DropLog::kLinesPerMinute));
  // A new minute: lines are admitted again.
  CHECK(drops.admit(start + std::chrono::seconds(61)));
}
