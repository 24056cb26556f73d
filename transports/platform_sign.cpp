#include "transports/platform_sign.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace otagw::transports {

std::string hmac_hex(SignMethod method, std::string_view key, std::string_view message) {
  const EVP_MD* md = nullptr;
  switch (method) {
    case SignMethod::hmac_sha256: md = EVP_sha256(); break;
    case SignMethod::hmac_sha1: md = EVP_sha1(); break;
    case SignMethod::hmac_md5: md = EVP_md5(); break;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
           message.size(), digest.data(), &length) == nullptr) {
    // Only on allocation failure inside OpenSSL; nothing sensible to return.
    throw std::runtime_error("HMAC computation failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

std::string sign_content(std::string_view client_id, std::string_view product_key, std::string_view device_name,
                         std::string_view timestamp) {
  std::string text;
  text.reserve(64 + client_id.size() + product_key.size() + device_name.size() + timestamp.size());
  text.append("clientId").append(client_id);
  text.append("deviceName").append(device_name);
  text.append("productKey").append(product_key);
  if (!timestamp.empty()) text.append("timestamp").append(timestamp);
  return text;
}

MqttSignIn make_mqtt_sign_in(std::string_view product_key, std::string_view device_name,
                             const config::Secret& device_secret, bool tls) {
  std::string plain_client_id = std::string(product_key) + "." + std::string(device_name);
  std::string hex = hmac_hex(SignMethod::hmac_sha256, device_secret.reveal(),
                             sign_content(plain_client_id, product_key, device_name, kSignInTimestamp));
  std::transform(hex.begin(), hex.end(), hex.begin(), [](unsigned char c) { return std::toupper(c); });

  MqttSignIn sign_in;
  sign_in.client_id = plain_client_id + "|securemode=" + (tls ? "2" : "3") +
                      ",signmethod=hmacsha256,timestamp=" + std::string(kSignInTimestamp) + "|";
  sign_in.username = std::string(device_name) + "&" + std::string(product_key);
  sign_in.password = config::Secret(std::move(hex));
  return sign_in;
}

std::string subdevice_sign(std::string_view product_key, std::string_view device_name,
                           const config::Secret& device_secret, std::string_view timestamp) {
  const std::string client_id = std::string(product_key) + "." + std::string(device_name);
  return hmac_hex(SignMethod::hmac_sha256, device_secret.reveal(),
                  sign_content(client_id, product_key, device_name, timestamp));
}

}  // namespace otagw::transports
