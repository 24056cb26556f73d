#pragma once
// One flash window (ota.flash_windows, subdevices[].flash_windows): a time of
// day, in local time, during which a sub-device may be flashed. Pure text
// handling like host_pattern.hpp: the config loader validates with it and
// subdev/flash_window_clock.hpp decides with it.
//
//   "02:00-05:00"          02:00 up to (not including) 05:00
//   "22:00-02:00"          end before start: crosses midnight
//   "02:00:30-02:01:00"    seconds are optional on either side (tests, short windows)
//   "20:00-24:00"          24:00 (or 24:00:00) only as an end: up to midnight
//
// Two digits per field; hours 00-23 (24 only as "24:00" at the end), minutes
// and seconds 00-59. A window of no length (start == end) is refused: "always"
// is an empty list.
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace otagw::config {

inline constexpr int kSecondsPerDay = 86400;

struct FlashWindow {
  int start_s = 0;  // seconds after local midnight, 0..86399
  int end_s = 0;    // 1..86400; below start_s: the window ends on the next day

  [[nodiscard]] bool crosses_midnight() const noexcept { return end_s < start_s; }

  bool operator==(const FlashWindow&) const = default;
};

// The window, or a one-line reason it is not one (quoting the text, cut to a
// readable length).
[[nodiscard]] tl::expected<FlashWindow, std::string> parse_flash_window(std::string_view text);

// The canonical text: "HH:MM" per side, "HH:MM:SS" where the seconds are not
// zero; parse_flash_window(to_string(w)) == w.
[[nodiscard]] std::string to_string(const FlashWindow& window);

}  // namespace otagw::config
