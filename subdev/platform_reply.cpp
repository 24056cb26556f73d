#include "subdev/platform_reply.hpp"

namespace otagw::subdev {

std::optional<std::string> read_message_id(const nlohmann::json& message) {
  const auto it = message.find("id");
  if (it == message.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_unsigned() || it->is_number_integer()) return std::to_string(it->get<std::int64_t>());
  return std::nullopt;
}

std::optional<PlatformReply> parse_platform_reply(std::string_view payload, std::string& why) {
  const auto j = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    why = "not a JSON object";
    return std::nullopt;
  }
  PlatformReply reply;
  auto id = read_message_id(j);
  if (!id) {
    why = "no usable \"id\"";
    return std::nullopt;
  }
  reply.id = std::move(*id);
  const auto code = j.find("code");
  if (code == j.end() || !code->is_number_integer()) {
    why = "no integer \"code\"";
    return std::nullopt;
  }
  reply.code = code->get<int>();
  if (const auto data = j.find("data"); data != j.end()) reply.data = *data;
  if (const auto message = j.find("message"); message != j.end() && message->is_string()) {
    reply.message = message->get<std::string>();
  }
  return reply;
}

}  // namespace otagw::subdev
