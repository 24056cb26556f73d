#pragma once
// Checks for the values that end up in MQTT topics, host names and file
// names. Product keys, device names and modules are spliced into topics like
// /sys/{product_key}/{device_name}/..., so they are strict: no '/', '+', '#'
// or whitespace can ever pass.
//
// Each check returns nullopt for a valid value, or the message for an invalid
// one (which quotes the value: never use these on a secret).
#include <optional>
#include <string>
#include <string_view>

namespace otagw::config::detail {

using Check = std::optional<std::string> (*)(std::string_view value);

// [A-Za-z0-9]{1,32}
[[nodiscard]] std::optional<std::string> check_product_key(std::string_view value);
// [A-Za-z0-9_.:@-]{4,32}, the platform's rule for device names.
[[nodiscard]] std::optional<std::string> check_device_name(std::string_view value);
// [A-Za-z0-9_.-]{1,64}
[[nodiscard]] std::optional<std::string> check_module(std::string_view value);
// [A-Za-z0-9_.-]{1,32}, a sub-device's bus.
[[nodiscard]] std::optional<std::string> check_bus(std::string_view value);
// [A-Za-z0-9_-]{1,64}
[[nodiscard]] std::optional<std::string> check_plugin_name(std::string_view value);
// 1..32 printable characters, no whitespace.
[[nodiscard]] std::optional<std::string> check_version(std::string_view value);
// [a-z0-9-]{1,32}, a label of the derived MQTT host name.
[[nodiscard]] std::optional<std::string> check_region(std::string_view value);
// [A-Za-z0-9-]{1,64}, a label of the derived MQTT host name.
[[nodiscard]] std::optional<std::string> check_instance_id(std::string_view value);
// A DNS name or an IP address: 1..253 of [A-Za-z0-9.:_-] (':' for IPv6).
[[nodiscard]] std::optional<std::string> check_host(std::string_view value);

}  // namespace otagw::config::detail
