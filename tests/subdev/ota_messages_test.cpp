// The visit's inform and query, built as text, against what json_text()
// writes for the same nlohmann objects (the way they were built before):
// the same bytes for plain values and for every kind that needs escaping.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "subdev/json_text.hpp"
#include "subdev/ota_messages.hpp"

using otagw::subdev::firmware_get_message;
using otagw::subdev::inform_message;
using otagw::subdev::json_text;

namespace {

std::string inform_by_object(const std::string& id, const std::string& module, const std::string& version) {
  nlohmann::json params = {{"version", version}};
  if (!module.empty()) params["module"] = module;
  return json_text(nlohmann::json{{"id", id}, {"params", std::move(params)}});
}

std::string get_by_object(const std::string& id, const std::string& module) {
  nlohmann::json params = nlohmann::json::object();
  if (!module.empty()) params["module"] = module;
  return json_text(nlohmann::json{
      {"id", id}, {"version", "1.0"}, {"params", std::move(params)}, {"method", "thing.ota.firmware.get"}});
}

}  // namespace

TEST_CASE("inform and firmware.get are the bytes json_text writes for the same objects", "[unit][ota_messages]") {
  const std::string value = GENERATE(as<std::string>{}, "", "1.0.0", "v2.3.4-rc1+build.7", "4294967295", "say \"hi\"",
                                     "back\\slash", "tab\there", "new\nline", std::string("nul\0byte", 8), "del\x7f",
                                     "\x01\x1f", "caf\xc3\xa9", "\xe6\xa8\xa1\xe5\x9d\x97", "cut \xe6\xa8",
                                     "\xff\xfe not UTF-8", "</script>", "{\"json\":1}");
  INFO("value: " << value);
  CHECK(inform_message("17", "", value) == inform_by_object("17", "", value));
  CHECK(inform_message("17", value, "1.0.0") == inform_by_object("17", value, "1.0.0"));
  CHECK(inform_message(value, "mcu", value) == inform_by_object(value, "mcu", value));
  CHECK(firmware_get_message("18", value) == get_by_object("18", value));
  CHECK(firmware_get_message(value, "") == get_by_object(value, ""));
}

TEST_CASE("inform and firmware.get parse back to the values they carry", "[unit][ota_messages]") {
  const auto inform = nlohmann::json::parse(inform_message("5", "wifi", "1.2.3"));
  CHECK(inform == nlohmann::json{{"id", "5"}, {"params", {{"module", "wifi"}, {"version", "1.2.3"}}}});
  const auto get = nlohmann::json::parse(firmware_get_message("6", ""));
  CHECK(get == nlohmann::json{{"id", "6"}, {"version", "1.0"}, {"params", nlohmann::json::object()},
                              {"method", "thing.ota.firmware.get"}});
}
