// Untrusted platform messages: replies and firmware offers are read without
// ever throwing, and anything unusable is refused with a reason.
#include <catch2/catch.hpp>

#include "subdev/firmware_offer.hpp"
#include "subdev/platform_reply.hpp"

using namespace otagw::subdev;

TEST_CASE("platform replies: id as string or number, code required", "[unit][messages]") {
  std::string why;
  auto reply = parse_platform_reply(R"({"id":"42","code":200,"data":{},"message":"success"})", why);
  REQUIRE(reply);
  CHECK(reply->id == "42");
  CHECK(reply->code == 200);
  CHECK(reply->data.empty());
  CHECK(reply->message == "success");

  reply = parse_platform_reply(R"({"id":7,"code":6401,"data":[{"productKey":"p"}]})", why);
  REQUIRE(reply);
  CHECK(reply->id == "7");
  CHECK(reply->code == 6401);

  for (const char* bad : {"", "not json", "[]", "{\"code\":200}", "{\"id\":\"1\"}", "{\"id\":\"1\",\"code\":\"200\"}",
                          "{\"id\":{},\"code\":200}", "{\"id\":\"1\",\"code\":200", "\xff\xfe"}) {
    INFO(bad);
    CHECK_FALSE(parse_platform_reply(bad, why));
    CHECK_FALSE(why.empty());
  }
}

TEST_CASE("firmware offers: a usable single-file offer", "[unit][messages]") {
  std::string why;
  const auto data = nlohmann::json::parse(R"({"size":1024,"version":"1.2.0","url":"https://fw.example/a.bin",
      "signMethod":"SHA256","sign":"ab","module":"mcu","isDiff":1,"extData":{"k":"v"}})");
  auto offer = parse_firmware_offer(data, why);
  REQUIRE(offer);
  CHECK(offer->version == "1.2.0");
  CHECK(offer->size == 1024);
  CHECK(offer->module == "mcu");
  CHECK(offer->is_diff);
  CHECK(offer->sign_method == "SHA256");
  CHECK(offer->raw["extData"]["k"] == "v");
}

TEST_CASE("firmware offers: hostile or broken offers are refused", "[unit][messages]") {
  std::string why;
  const char* bad[] = {
      R"({"size":-5,"version":"1.0","url":"https://x/a"})",
      R"({"size":0,"version":"1.0","url":"https://x/a"})",
      R"({"size":"10","version":"1.0","url":"https://x/a"})",
      R"({"size":10,"version":"../../etc/passwd","url":"https://x/a"})",
      R"({"size":10,"version":"1.0 beta","url":"https://x/a"})",
      R"({"size":10,"version":"","url":"https://x/a"})",
      R"({"size":10,"url":"https://x/a"})",
      R"({"size":10,"version":"1.0"})",
      R"([1,2])",
  };
  for (const char* text : bad) {
    INFO(text);
    CHECK_FALSE(parse_firmware_offer(nlohmann::json::parse(text), why));
  }
  auto long_version = nlohmann::json{{"size", 10}, {"url", "https://x/a"}, {"version", std::string(5000, '1')}};
  CHECK_FALSE(parse_firmware_offer(long_version, why));
}

TEST_CASE("firmware offers: multi-file and MQTT stream packages are recognised", "[unit][messages]") {
  std::string why;
  auto multi = parse_firmware_offer(nlohmann::json::parse(R"({"version":"2.0","files":[{"fileName":"a"}]})"), why);
  REQUIRE(multi);
  CHECK(multi->multi_file);
  auto stream = parse_firmware_offer(
      nlohmann::json::parse(R"({"version":"2.0","dProtocol":"mqtt","streamId":1,"streamFileId":1})"), why);
  REQUIRE(stream);
  CHECK(stream->mqtt_stream);
}
