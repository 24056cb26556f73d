#pragma once
// Signing as the Alibaba Cloud IoT Platform expects it (protocol.md §1, §3).
#include <cstdint>
#include <string>
#include <string_view>

#include "config/secret.hpp"

namespace otagw::transports {

enum class SignMethod { hmac_sha256, hmac_sha1, hmac_md5 };

// Lowercase hex of HMAC-<method>(key, message).
[[nodiscard]] std::string hmac_hex(SignMethod method, std::string_view key, std::string_view message);

// The text every platform sign covers: parameters sorted by name, name+value
// concatenated: "clientId{client_id}deviceName{dn}productKey{pk}timestamp{ts}".
// An empty `timestamp` is left out of the text.
[[nodiscard]] std::string sign_content(std::string_view client_id, std::string_view product_key,
                                       std::string_view device_name, std::string_view timestamp);

// The fixed timestamp both vendor SDKs use in the MQTT client id.
inline constexpr std::string_view kSignInTimestamp = "2524608000000";

struct MqttSignIn {
  std::string client_id;  // "{pk}.{dn}|securemode=2,signmethod=hmacsha256,timestamp=...|"
  std::string username;   // "{dn}&{pk}"
  config::Secret password;  // uppercase hex HMAC-SHA256: a credential, never logged
};

// The gateway's MQTT CONNECT credentials. securemode is 2 over TLS, 3 over TCP.
[[nodiscard]] MqttSignIn make_mqtt_sign_in(std::string_view product_key, std::string_view device_name,
                                           const config::Secret& device_secret, bool tls);

// The lowercase hex `sign` of a sub-device in topology add and login requests;
// the client id is "{pk}.{dn}" as sent.
[[nodiscard]] std::string subdevice_sign(std::string_view product_key, std::string_view device_name,
                                         const config::Secret& device_secret, std::string_view timestamp);

}  // namespace otagw::transports
