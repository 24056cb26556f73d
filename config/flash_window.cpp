#include "config/flash_window.hpp"

#include <cstdio>
#include <optional>

#include "config/message_text.hpp"

namespace otagw::config {

namespace {

constexpr std::string_view kForm = "expected HH:MM-HH:MM or HH:MM:SS-HH:MM:SS, e.g. \"02:00-05:00\"";

std::optional<int> two_digits(std::string_view text) {
  if (text.size() != 2 || text[0] < '0' || text[0] > '9' || text[1] < '0' || text[1] > '9') return std::nullopt;
  return (text[0] - '0') * 10 + (text[1] - '0');
}

// "HH:MM" or "HH:MM:SS" as seconds after midnight; 24:00 reads as 86400
// (the caller allows it only as an end). nullopt when not of that form.
std::optional<int> time_of_day(std::string_view text) {
  if (text.size() != 5 && text.size() != 8) return std::nullopt;
  if (text[2] != ':' || (text.size() == 8 && text[5] != ':')) return std::nullopt;
  const auto hours = two_digits(text.substr(0, 2));
  const auto minutes = two_digits(text.substr(3, 2));
  const auto seconds = text.size() == 8 ? two_digits(text.substr(6, 2)) : std::optional<int>(0);
  if (!hours || !minutes || !seconds || *minutes > 59 || *seconds > 59) return std::nullopt;
  if (*hours > 24 || (*hours == 24 && (*minutes != 0 || *seconds != 0))) return std::nullopt;
  return *hours * 3600 + *minutes * 60 + *seconds;
}

std::string format_time(int seconds_of_day) {
  char text[16];
  const int hours = seconds_of_day / 3600;
  const int minutes = seconds_of_day / 60 % 60;
  const int seconds = seconds_of_day % 60;
  if (seconds == 0) {
    std::snprintf(text, sizeof text, "%02d:%02d", hours, minutes);
  } else {
    std::snprintf(text, sizeof text, "%02d:%02d:%02d", hours, minutes, seconds);
  }
  return text;
}

}  // namespace

tl::expected<FlashWindow, std::string> parse_flash_window(std::string_view text) {
  const std::string quoted = detail::quote_value(text);
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) return tl::unexpected("invalid window " + quoted + ": " + std::string(kForm));
  const auto start = time_of_day(text.substr(0, dash));
  const auto end = time_of_day(text.substr(dash + 1));
  if (!start || !end) return tl::unexpected("invalid window " + quoted + ": " + std::string(kForm));
  if (*start == kSecondsPerDay) {
    return tl::unexpected("invalid window " + quoted + ": 24:00 is allowed only as the end; start at 00:00");
  }
  if (*start == *end) {
    return tl::unexpected("invalid window " + quoted +
                          ": start and end are the same time; for no limit leave the list empty ([])");
  }
  return FlashWindow{*start, *end};
}

std::string to_string(const FlashWindow& window) {
  return format_time(window.start_s) + "-" + format_time(window.end_s);
}

}  // namespace otagw::config
