#pragma once
// The seam for everything the cloud sends the gateway: topic classified once
// (cloud_topic.hpp), payload parsed within size and depth bounds
// (bounded_json.hpp) and converted into the types below with every field
// checked. Nothing past this point reads raw JSON or throws; the one JSON
// that travels on is an offer's `extData`, as bounded text for the plugin.
//
// No Asio here: the seam builds into the fuzzers (tests/fuzz).
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "subdev/cloud_topic.hpp"
#include "subdev/firmware_offer.hpp"
#include "subdev/gateway_identity.hpp"
#include "transports/result.hpp"

namespace otagw::subdev {

// A reply's envelope (protocol.md §2); all of a reply to topology add, login
// or logout that the gateway uses. `message` is the platform's text as sent:
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

struct CloudMessage {
  TopicMatch topic;
  std::variant<PlatformReply, FirmwareGetReply, UpgradePush> body;
};

struct MessageLimits {
  static constexpr std::size_t kMaxPayloadBytes = 64 * 1024;  // 20 files of long signed URLs and a 4 KiB Udi fit
  static constexpr std::size_t kMaxDepth = 16;
  static constexpr std::size_t kMaxIdLength = 64;
  static constexpr std::size_t kMaxMessageLength = 4096;
};

// Errors (MessageErrc): unknown_topic; too_large, not_json, too_deep for the
// payload; not_object, missing_field, wrong_type, out_of_range, bad_value
// for an envelope (id, code, message; a push's data and module) that does
// not convert. Such a message cannot be matched to a request and is dropped
// by the caller. An unusable offer inside a usable envelope is not an error
// here: it is the reply's (or push's) `offer`, so it can be answered.
[[nodiscard]] Expected<CloudMessage> decode_cloud_message(std::string_view topic, std::string_view payload,
                                                          const GatewayIdentity& gateway) noexcept;

}  // namespace otagw::subdev
