// Every message the cloud can send, through the one seam the daemon uses
// (decode_cloud_message), and what the daemon then does with its text
// (log_text for the log, json_text for what goes back to the cloud).
//
// Input: byte 0 picks the topic (one of each kind the gateway subscribes to,
// or, for 255, the topic itself up to the first '\n' of the rest, so the
// classifier is fuzzed too); the rest is the payload.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "subdev/cloud_message.hpp"
#include "subdev/json_text.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "transports/log_text.hpp"

namespace {

using namespace otagw::subdev;
using otagw::log_text;

const GatewayIdentity kGateway{"a1GwProd01", "gw-0001"};

constexpr std::string_view kTopics[] = {
    "/sys/a1GwProd01/gw-0001/thing/topo/add_reply",
    "/ext/session/a1GwProd01/gw-0001/combine/batch_login_reply",
    "/ext/session/a1GwProd01/gw-0001/combine/batch_logout_reply",
    "/sys/a1SubProd1/sub-0001/thing/ota/firmware/get_reply",
    "/ota/device/upgrade/a1SubProd1/sub-0001",
    "/sys/a1GwProd01/gw-0001/thing/topo/delete_reply",  // last: the corpus's first bytes keep their topics
};

bool printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

// What reaches the log: one line, no controls, valid UTF-8.
void check_log_text(std::string_view text) {
  const std::string line = log_text(text);
  OTAGW_FUZZ_CHECK(std::none_of(line.begin(), line.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }));
  const std::string quoted = nlohmann::json(line).dump();  // throws (and so fails) on invalid UTF-8
  OTAGW_FUZZ_CHECK(!quoted.empty());
}

// What goes back to the cloud in a step -1 desc.
void check_desc(const otagw::Error& error) {
  const std::string desc = "unusable offer: " + error.context;
  OTAGW_FUZZ_CHECK(desc.size() < 512);
  (void)nlohmann::json(desc).dump();
  (void)error.message();
}

void check_offer(const otagw::Expected<FirmwareOffer>& offer) {
  if (!offer) {
    check_desc(offer.error());
    return;
  }
  OTAGW_FUZZ_CHECK(!offer->version.empty() && offer->version.size() <= FirmwareOffer::kMaxVersionLength);
  OTAGW_FUZZ_CHECK(printable_ascii(offer->version));
  OTAGW_FUZZ_CHECK(offer->module.size() <= FirmwareOffer::kMaxModuleLength && printable_ascii(offer->module));
  OTAGW_FUZZ_CHECK(offer->ext_data.size() <= FirmwareOffer::kMaxExtDataBytes);
  const auto ext = nlohmann::json::parse(offer->ext_data, nullptr, false);
  OTAGW_FUZZ_CHECK(ext.is_object());
  if (offer->mqtt_stream) return;
  OTAGW_FUZZ_CHECK(!offer->files.empty() && offer->files.size() <= FirmwareOffer::kMaxFiles);
  OTAGW_FUZZ_CHECK(offer->multi_file || offer->files.size() == 1);
  const std::size_t hex = offer->sign_method == otagw::transports::DigestMethod::md5 ? 32 : 64;
  for (const FirmwareFile& file : offer->files) {
    OTAGW_FUZZ_CHECK(file.size >= 1 && file.size <= FirmwareOffer::kMaxFileSize);
    OTAGW_FUZZ_CHECK(file.sign.size() == hex);
    OTAGW_FUZZ_CHECK(std::all_of(file.sign.begin(), file.sign.end(),
                                 [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }));
    OTAGW_FUZZ_CHECK(!file.name.empty() && file.name.front() != '.' && printable_ascii(file.name));
    OTAGW_FUZZ_CHECK(file.name.find('/') == std::string::npos && file.name != "manifest.json");
    OTAGW_FUZZ_CHECK(!file.url.empty() && file.url.size() <= FirmwareOffer::kMaxUrlLength && printable_ascii(file.url));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string_view topic;
  if (data[0] == 255) {
    const auto newline = rest.find('\n');
    topic = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view{} : rest.substr(newline + 1);
  } else {
    topic = kTopics[data[0] % std::size(kTopics)];
  }
  check_log_text(topic);

  const auto message = decode_cloud_message(topic, rest, kGateway);  // noexcept: a throw aborts
  if (!message) {
    check_log_text(message.error().message());
    return 0;
  }
  OTAGW_FUZZ_CHECK(message->topic.kind != CloudTopic::unknown);
  check_log_text(message->topic.device_key());
  if (const auto* reply = std::get_if<PlatformReply>(&message->body)) {
    check_log_text(reply->id);
    check_log_text(reply->message);
  } else if (const auto* firmware = std::get_if<FirmwareGetReply>(&message->body)) {
    check_log_text(firmware->envelope.message);
    if (firmware->envelope.code == 200 && !firmware->no_firmware) check_offer(firmware->offer);
  } else if (const auto* push = std::get_if<UpgradePush>(&message->body)) {
    OTAGW_FUZZ_CHECK(push->module.size() <= FirmwareOffer::kMaxModuleLength);
    check_offer(push->offer);
  } else if (const auto* malformed = std::get_if<MalformedMessage>(&message->body)) {
    check_desc(malformed->error);
    check_log_text(malformed->error.message());
    if (malformed->id) check_log_text(*malformed->id);
  }
  return 0;
}
