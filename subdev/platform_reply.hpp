#pragma once
// Reading the platform's reply envelope {"id","code","data","message"}
// (protocol.md §2) from untrusted bytes: never throws.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace otagw::subdev {

struct PlatformReply {
  std::string id;  // the request's id, as a decimal string
  int code = 0;    // 200 = success
  nlohmann::json data;
  std::string message;
};

// nullopt, with `why` set, when the payload is not a reply we can use.
[[nodiscard]] std::optional<PlatformReply> parse_platform_reply(std::string_view payload, std::string& why);

// The id as the platform sends it: a decimal string, or (some SDK paths) a number.
[[nodiscard]] std::optional<std::string> read_message_id(const nlohmann::json& message);

}  // namespace otagw::subdev
