#pragma once
// A sub-device's credentials in topology add and login requests (protocol.md
// §3): the fields, and the sign check. Pure functions.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config/secret.hpp"

namespace otagw::cloudsim {

// Views into the request's JSON: valid while it lives.
struct SubdeviceFields {
  std::string_view product_key;
  std::string_view device_name;
  std::string_view client_id;
  std::string_view timestamp;  // empty when absent: then left out of the signed text
  std::string_view sign;
  std::string_view sign_method;
};

// Reads productKey, deviceName, clientId, sign (required strings), timestamp
// (optional string) and the sign method: the entry's "signmethod" or
// "signMethod", else `request_sign_method` (the login request's
// params.signMethod). nullopt with `why` when something is missing or not a
// string; `product_key`/`device_name` are then whatever could be read.
[[nodiscard]] std::optional<SubdeviceFields> read_subdevice_fields(const nlohmann::json& entry,
                                                                   std::string_view request_sign_method,
                                                                   std::string& why);

// The productKey/deviceName of an entry as far as readable (for failure lists).
[[nodiscard]] std::pair<std::string, std::string> entry_identity(const nlohmann::json& entry);

// "" when the sign is right; otherwise why not. The clientId must be
// "{pk}.{dn}", optionally followed by "|...|" extras, and is signed exactly as
// sent; the method hmacSha256/hmacSha1/hmacMd5 in any case; the sign is
// compared ignoring hex case.
[[nodiscard]] std::string check_subdevice_sign(const SubdeviceFields& fields, const config::Secret& secret);

}  // namespace otagw::cloudsim
