#include "tools/cloudsim/subdevice_auth.hpp"

#include <cctype>

#include "tools/cloudsim/alink_message.hpp"
#include "transports/platform_sign.hpp"

namespace otagw::cloudsim {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::optional<transports::SignMethod> parse_sign_method(std::string_view text) {
  if (iequals(text, "hmacSha256")) return transports::SignMethod::hmac_sha256;
  if (iequals(text, "hmacSha1")) return transports::SignMethod::hmac_sha1;
  if (iequals(text, "hmacMd5")) return transports::SignMethod::hmac_md5;
  return std::nullopt;
}

}  // namespace

std::optional<SubdeviceFields> read_subdevice_fields(const nlohmann::json& entry, std::string_view request_sign_method,
                                                     std::string& why) {
  if (!entry.is_object()) {
    why = "device entry is not an object";
    return std::nullopt;
  }
  SubdeviceFields fields;
  const auto required = [&](std::string_view key, std::string_view& out) {
    const auto value = string_member(entry, key);
    if (!value || value->empty()) {
      why = std::string(key) + " missing, empty or not a string";
      return false;
    }
    out = *value;
    return true;
  };
  if (!required("productKey", fields.product_key) || !required("deviceName", fields.device_name) ||
      !required("clientId", fields.client_id) || !required("sign", fields.sign)) {
    return std::nullopt;
  }
  if (entry.contains("timestamp")) {
    const auto timestamp = string_member(entry, "timestamp");
    if (!timestamp) {
      why = "timestamp is not a string";
      return std::nullopt;
    }
    fields.timestamp = *timestamp;
  }
  if (const auto method = string_member(entry, "signmethod")) {
    fields.sign_method = *method;
  } else if (const auto camel = string_member(entry, "signMethod")) {
    fields.sign_method = *camel;
  } else {
    fields.sign_method = request_sign_method;
  }
  if (fields.sign_method.empty()) {
    why = "no sign method (signmethod / signMethod)";
    return std::nullopt;
  }
  return fields;
}

std::pair<std::string, std::string> entry_identity(const nlohmann::json& entry) {
  return {std::string(string_member(entry, "productKey").value_or("")),
          std::string(string_member(entry, "deviceName").value_or(""))};
}

std::string check_subdevice_sign(const SubdeviceFields& fields, const config::Secret& secret) {
  const auto method = parse_sign_method(fields.sign_method);
  if (!method) return "unsupported sign method '" + std::string(fields.sign_method.substr(0, 40)) + "'";
  const std::string_view id = fields.client_id;
  const std::size_t name_len = fields.product_key.size() + 1 + fields.device_name.size();
  const bool names_device = id.size() >= name_len && id.substr(0, fields.product_key.size()) == fields.product_key &&
                            id[fields.product_key.size()] == '.' &&
                            id.substr(fields.product_key.size() + 1, fields.device_name.size()) == fields.device_name &&
                            (id.size() == name_len || id[name_len] == '|');
  if (!names_device) return "clientId does not name the device ({pk}.{dn}, optionally |...|)";
  const std::string expected =
      transports::hmac_hex(*method, secret.reveal(),
                           transports::sign_content(fields.client_id, fields.product_key, fields.device_name,
                                                    fields.timestamp));
  if (!iequals(expected, fields.sign)) return "invalid sign";
  return {};
}

}  // namespace otagw::cloudsim
