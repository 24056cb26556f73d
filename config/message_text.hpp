#pragma once
// Turning configuration values into text for error messages.
#include <string>
#include <string_view>

namespace otagw::config::detail {

// `value` in single quotes, cut to a readable length, control characters shown
// as \xNN so a message stays one line. Never call it with a secret.
[[nodiscard]] std::string quote_value(std::string_view value);

}  // namespace otagw::config::detail
