#include "subdev/firmware_offer.hpp"

#include <algorithm>

namespace otagw::subdev {
namespace {

constexpr std::size_t kMaxVersionLength = 32;  // the platform's limit on inform

bool is_printable_token(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

const nlohmann::json* member(const nlohmann::json& j, const char* name) {
  const auto it = j.find(name);
  return it == j.end() ? nullptr : &*it;
}

std::string string_member(const nlohmann::json& j, const char* name) {
  const auto* value = member(j, name);
  return value && value->is_string() ? value->get<std::string>() : std::string{};
}

}  // namespace

std::optional<FirmwareOffer> parse_firmware_offer(const nlohmann::json& data, std::string& why) {
  if (!data.is_object()) {
    why = "firmware data is not an object";
    return std::nullopt;
  }
  FirmwareOffer offer;
  offer.raw = data;
  offer.version = string_member(data, "version");
  if (offer.version.empty() || offer.version.size() > kMaxVersionLength || !is_printable_token(offer.version) ||
      offer.version.find("..") != std::string::npos || offer.version.find('/') != std::string::npos) {
    why = "missing or unusable \"version\"";
    return std::nullopt;
  }
  offer.module = string_member(data, "module");
  if (offer.module.size() > 64 || !is_printable_token(offer.module)) {
    why = "unusable \"module\"";
    return std::nullopt;
  }
  if (const auto* diff = member(data, "isDiff")) {
    offer.is_diff = (diff->is_number_integer() && diff->get<int>() == 1) || (diff->is_boolean() && diff->get<bool>()) ||
                    (diff->is_string() && diff->get<std::string>() == "1");
  }
  if (string_member(data, "dProtocol") == "mqtt") {
    offer.mqtt_stream = true;
    return offer;
  }
  if (const auto* files = member(data, "files"); files && files->is_array()) {
    offer.multi_file = true;
    return offer;
  }
  offer.url = string_member(data, "url");
  offer.sign_method = string_member(data, "signMethod");
  offer.sign = string_member(data, "sign");
  const auto* size = member(data, "size");
  if (offer.url.empty()) {
    why = "no \"url\"";
    return std::nullopt;
  }
  // Text JSON gives positive numbers as unsigned, built JSON as signed.
  if (!size || !size->is_number_integer() || size->get<std::int64_t>() <= 0) {
    why = "\"size\" is not a positive integer";
    return std::nullopt;
  }
  offer.size = size->get<std::uint64_t>();
  return offer;
}

}  // namespace otagw::subdev
