#include "config/identifiers.hpp"

#include <algorithm>

#include "config/message_text.hpp"

namespace otagw::config::detail {

namespace {

// ASCII only on purpose: std::isalnum depends on the locale.
bool is_alnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool is_in(char c, std::string_view extra) { return is_alnum(c) || extra.find(c) != std::string_view::npos; }

// The value has [min, max] characters, each alphanumeric or one of `extra`.
bool matches(std::string_view value, std::string_view extra, std::size_t min, std::size_t max) {
  return value.size() >= min && value.size() <= max &&
         std::all_of(value.begin(), value.end(), [extra](char c) { return is_in(c, extra); });
}

std::optional<std::string> invalid(std::string_view value, std::string_view rule) {
  return "invalid value " + quote_value(value) + ": " + std::string(rule);
}

}  // namespace

std::optional<std::string> check_product_key(std::string_view value) {
  if (matches(value, "", 1, 32)) return std::nullopt;
  return invalid(value, "expected 1-32 letters or digits");
}

std::optional<std::string> check_device_name(std::string_view value) {
  if (matches(value, "_.:@-", 4, 32)) return std::nullopt;
  return invalid(value, "expected 4-32 characters of letters, digits and - _ @ . :");
}

std::optional<std::string> check_module(std::string_view value) {
  if (matches(value, "_.-", 1, 64)) return std::nullopt;
  return invalid(value, "expected 1-64 characters of letters, digits and _ . -");
}

std::optional<std::string> check_bus(std::string_view value) {
  if (matches(value, "_.-", 1, 32)) return std::nullopt;
  return invalid(value, "expected 1-32 characters of letters, digits and _ . -");
}

std::optional<std::string> check_plugin_name(std::string_view value) {
  if (matches(value, "_-", 1, 64)) return std::nullopt;
  return invalid(value, "expected 1-64 characters of letters, digits and _ -");
}

std::optional<std::string> check_version(std::string_view value) {
  const bool printable = std::all_of(value.begin(), value.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte != 0x7f;
  });
  if (printable && !value.empty() && value.size() <= 32) return std::nullopt;
  return invalid(value, "expected 1-32 characters without whitespace or control characters");
}

std::optional<std::string> check_region(std::string_view value) {
  const bool lower = std::none_of(value.begin(), value.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  if (lower && matches(value, "-", 1, 32)) return std::nullopt;
  return invalid(value, "expected 1-32 lower-case letters, digits and -, e.g. cn-shanghai");
}

std::optional<std::string> check_instance_id(std::string_view value) {
  if (matches(value, "-", 1, 64)) return std::nullopt;
  return invalid(value, "expected 1-64 letters, digits and -, e.g. iot-06z00abc");
}

std::optional<std::string> check_host(std::string_view value) {
  if (matches(value, ".:_-", 1, 253)) return std::nullopt;
  return invalid(value, "expected a host name or IP address");
}

}  // namespace otagw::config::detail
