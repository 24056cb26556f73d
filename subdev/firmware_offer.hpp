#pragma once
// A firmware offer from the platform (a firmware/get reply's or an upgrade
// push's `data`, protocol.md §4), converted from untrusted JSON into types:
// every field the gateway uses is checked for presence, type, range and
// form here, once. Policy (allowed schemes and hosts, size caps) is the
// firmware job's.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "transports/digest.hpp"
#include "transports/result.hpp"

namespace otagw::subdev {

struct FirmwareFile {
  std::string name;  // a safe file name (no separators, not hidden); "image.bin" for a single-file package
  std::string url;
  std::uint64_t size = 0;  // > 0
  std::string sign;        // lower-case hex digest of `sign_method`'s length
};

struct FirmwareOffer {
  // Limits of the seam.
  static constexpr std::size_t kMaxVersionLength = 32;  // the platform's limit on inform
  static constexpr std::size_t kMaxModuleLength = 64;
  static constexpr std::size_t kMaxUrlLength = 4096;
  static constexpr std::size_t kMaxFiles = 20;
  static constexpr std::size_t kMaxFileNameLength = 128;
  static constexpr std::size_t kMaxExtDataBytes = 16 * 1024;  // the Udi alone may be 4096 characters
  static constexpr std::uint64_t kMaxFileSize = std::uint64_t{1} << 53;  // a JSON number any parser reads exactly

  std::string version;
  std::string module;  // "" = default
  transports::DigestMethod sign_method = transports::DigestMethod::md5;
  std::vector<FirmwareFile> files;  // one for a single-file package; empty for an MQTT stream
  bool multi_file = false;          // `files: [...]`
  bool mqtt_stream = false;         // dProtocol "mqtt": no URL (protocol.md §6)
  bool is_diff = false;
  std::string ext_data = "{}";  // `extData`, an object, as compact JSON text for the plugin

  [[nodiscard]] std::uint64_t total_size() const noexcept;
};

// `data` as an offer. Errors (MessageErrc) carry the field's path and what
// was wrong in their context, e.g. "\"signMethod\": an integer, expected a
// string". An empty object is "no firmware" and is not passed here.
[[nodiscard]] Expected<FirmwareOffer> convert_firmware_offer(const nlohmann::json& data);

}  // namespace otagw::subdev
