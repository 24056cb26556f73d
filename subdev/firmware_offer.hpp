#pragma once
// A firmware offer from the platform (a firmware/get reply's or an upgrade
// push's `data`, protocol.md §4), read from untrusted JSON: every field is
// checked before anything acts on it.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace otagw::subdev {

struct FirmwareOffer {
  std::string version;
  std::string module;       // empty = default
  std::uint64_t size = 0;   // single-file packages; 0 for multi-file / stream
  std::string url;
  std::string sign_method;  // as sent: "Md5", "MD5", "SHA256"
  std::string sign;
  bool is_diff = false;
  bool multi_file = false;  // `files: [...]`
  bool mqtt_stream = false; // dProtocol: "mqtt"
  nlohmann::json raw;       // the whole object, for the firmware job
};

// nullopt with `why` set when `data` is not a usable offer. An empty object
// is "no firmware" and is not passed here.
[[nodiscard]] std::optional<FirmwareOffer> parse_firmware_offer(const nlohmann::json& data, std::string& why);

}  // namespace otagw::subdev
