#include "subdev/cloud_message.hpp"

#include <limits>

#include "subdev/bounded_json.hpp"
#include "subdev/json_fields.hpp"
#include "subdev/message_error.hpp"

namespace otagw::subdev {
namespace {

// The id as the platform sends it: a decimal string, or (some SDK paths) a
// JSON integer.
Expected<std::string> read_id(const FieldReader& fields) {
  const nlohmann::json* id = fields.optional("id");
  if (id == nullptr) return fields.fail(MessageErrc::missing_field, "id", "missing");
  if (id->is_number_integer()) {
    const auto number =
        json_int64(*id, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
    if (!number) return fields.fail(MessageErrc::out_of_range, "id", "beyond 64 bits");
    return std::to_string(*number);
  }
  return fields.string("id", MessageLimits::kMaxIdLength);
}

Expected<PlatformReply> read_envelope(const nlohmann::json& message) {
  const FieldReader fields(message, "");
  PlatformReply envelope;
  auto id = read_id(fields);
  if (!id) return tl::make_unexpected(id.error());
  envelope.id = std::move(*id);
  auto code = fields.int64("code", std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max());
  if (!code) return tl::make_unexpected(code.error());
  envelope.code = *code;
  auto text = fields.optional_string("message", MessageLimits::kMaxMessageLength);
  if (!text) return tl::make_unexpected(text.error());
  if (*text) envelope.message = std::move(**text);
  return envelope;
}

bool is_empty_data(const nlohmann::json* data) {
  return data == nullptr || (data->is_object() && data->empty());
}

using MessageBody = std::variant<PlatformReply, FirmwareGetReply, UpgradePush, MalformedMessage>;

Expected<MessageBody> convert_body(CloudTopic kind, const nlohmann::json& json) {
  if (!json.is_object()) {
    return make_error(MessageErrc::not_object, std::string(json_type_name(json)) + ", expected an object");
  }
  const FieldReader fields(json, "");
  switch (kind) {
    case CloudTopic::topo_add_reply:
    case CloudTopic::topo_delete_reply:
    case CloudTopic::login_reply:
    case CloudTopic::logout_reply: {
      auto envelope = read_envelope(json);
      if (!envelope) return tl::make_unexpected(envelope.error());
      return MessageBody(std::move(*envelope));
    }
    case CloudTopic::firmware_get_reply: {
      auto envelope = read_envelope(json);
      if (!envelope) return tl::make_unexpected(envelope.error());
      FirmwareGetReply reply;
      reply.envelope = std::move(*envelope);
      if (reply.envelope.code == 200) {
        const nlohmann::json* data = fields.optional("data");
        reply.no_firmware = is_empty_data(data);
        if (!reply.no_firmware) reply.offer = convert_firmware_offer(*data);
      }
      return MessageBody(std::move(reply));
    }
    case CloudTopic::upgrade_push: {
      const nlohmann::json* data = fields.optional("data");
      if (data == nullptr) return fields.fail(MessageErrc::missing_field, "data", "missing");
      if (!data->is_object()) {
        return fields.fail(MessageErrc::not_object, "data", std::string(json_type_name(*data)) + ", expected an object");
      }
      // The module says which query the push answers.
      auto module = FieldReader(*data, "data").optional_string("module", FirmwareOffer::kMaxModuleLength);
      if (!module) return tl::make_unexpected(module.error());
      UpgradePush push;
      push.module = module->value_or(std::string{});
      push.offer = convert_firmware_offer(*data);
      return MessageBody(std::move(push));
    }
    case CloudTopic::unknown: break;
  }
  return make_error(MessageErrc::unknown_topic);
}

Expected<CloudMessage> decode(std::string_view topic, std::string_view payload, const GatewayIdentity& gateway) {
  CloudMessage message;
  message.topic = classify_topic(topic, gateway);
  if (message.topic.kind == CloudTopic::unknown) return make_error(MessageErrc::unknown_topic);

  auto json = parse_bounded_json(payload, {MessageLimits::kMaxPayloadBytes, MessageLimits::kMaxDepth});
  if (!json) {
    message.body = MalformedMessage{std::move(json.error()), std::nullopt};
    return message;
  }
  auto body = convert_body(message.topic.kind, *json);
  if (!body) {
    std::optional<std::string> id;
    if (json->is_object()) {
      if (auto readable = read_id(FieldReader(*json, ""))) id = std::move(*readable);
    }
    message.body = MalformedMessage{std::move(body.error()), std::move(id)};
    return message;
  }
  message.body = std::move(*body);
  return message;
}

}  // namespace

Expected<CloudMessage> decode_cloud_message(std::string_view topic, std::string_view payload,
                                            const GatewayIdentity& gateway) noexcept {
  try {
    return decode(topic, payload, gateway);
  } catch (...) {
    // Nothing above throws by design (types are checked before values are
    // taken); an allocation failure is the one way left. No text is built
    // here, as that could throw again.
    return make_error(MessageErrc::too_large);
  }
}

}  // namespace otagw::subdev
