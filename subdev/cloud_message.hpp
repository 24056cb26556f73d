#pragma once
// The seam for everything the cloud sends the gateway: topic classified once
// (cloud_topic.hpp), payload parsed within size and depth bounds
// (bounded_json.hpp) and converted into the types below with every field
// checked. Nothing past this point reads raw JSON or throws; the one JSON
// that travels on is an offer's `extData`, as bounded text for the plugin.
//
// No Asio here: the seam builds into the fuzzers (tests/fuzz).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "subdev/cloud_topic.hpp"
#include "subdev/firmware_offer.hpp"
#include "subdev/gateway_identity.hpp"
#include "transports/result.hpp"

namespace otagw::subdev {

// A reply's envelope (protocol.md §2); all of a reply to topology add or
// delete, login or logout that the gateway uses. `message` is the platform's text as sent:
// log it only through log_text().
struct PlatformReply {
  std::string id;  // as sent: a decimal string, or a JSON integer written in decimal
  std::int64_t code = 0;
  std::string message;
};

// A reply to thing.ota.firmware.get.
struct FirmwareGetReply {
  PlatformReply envelope;
  bool no_firmware = false;  // code 200 with `data` {} or null: the device is up to date
  // With code 200 and firmware: the offer, or why it cannot be used (the
  // query is then answered with step -1 naming the field).
  Expected<FirmwareOffer> offer = FirmwareOffer{};
};

// An upgrade push for one of the device's modules.
struct UpgradePush {
  std::string module;  // "" = default
  Expected<FirmwareOffer> offer = FirmwareOffer{};
};

// A message on a topic the gateway handles whose payload does not convert (not
// JSON, too large or deep, an envelope without a usable id or integer code, a
// push without an object `data` or a readable module). Nothing in it can be
// acted on; on the active device's OTA topics it still ends the wait for the
// answer (refused with step -1) rather than letting the query time out.
struct MalformedMessage {
  Error error;                    // the context names the field, never its value
  std::optional<std::string> id;  // the message's id, when it parsed and had a usable one
};

struct CloudMessage {
  TopicMatch topic;
  std::variant<PlatformReply, FirmwareGetReply, UpgradePush, MalformedMessage> body;
};

struct MessageLimits {
  // 20 files with URLs of FirmwareOffer::kMaxUrlLength and the largest
  // extData fit (about 105 KiB); nothing legitimate comes near the rest.
  static constexpr std::size_t kMaxPayloadBytes = 128 * 1024;
  static constexpr std::size_t kMaxDepth = 16;
  static constexpr std::size_t kMaxIdLength = 64;
  static constexpr std::size_t kMaxMessageLength = 4096;
};

// Error: MessageErrc::unknown_topic only. A payload on a known topic that does
// not convert is a MalformedMessage (MessageErrc too_large, not_json,
// too_deep for the payload; not_object, missing_field, wrong_type,
// out_of_range, bad_value for the envelope). An unusable offer inside a
// usable envelope is the reply's (or push's) `offer` instead, so it can be
// answered with the field named.
[[nodiscard]] Expected<CloudMessage> decode_cloud_message(std::string_view topic, std::string_view payload,
                                                          const GatewayIdentity& gateway) noexcept;

}  // namespace otagw::subdev
