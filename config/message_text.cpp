#include "config/message_text.hpp"

#include <cstdio>

namespace otagw::config::detail {

namespace {
// Long enough for any valid value, short enough that a pasted blob stays readable.
constexpr std::size_t kMaxQuoted = 64;
}  // namespace

std::string quote_value(std::string_view value) {
  std::string out = "'";
  const bool cut = value.size() > kMaxQuoted;
  for (const char c : value.substr(0, kMaxQuoted)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  out += cut ? "...'" : "'";
  return out;
}

}  // namespace otagw::config::detail
