#pragma once
// Small pieces of text for people, shared by the table and the watch views:
// cells cut and padded by display width, times, progress bars.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace otagw::ctl {

// Times are shown in the local time zone; tests pin UTC.
enum class TimeZone { local, utc };

// `text` safe for a terminal: control characters (an escape sequence in a
// plugin's error text, a newline) become '?'.
[[nodiscard]] std::string printable(std::string_view text);

// Columns `text` takes: UTF-8 code points (wide characters count one).
[[nodiscard]] std::size_t display_width(std::string_view text);

// `text` cut to at most `width` columns, ending in "..." when cut.
[[nodiscard]] std::string cut(std::string_view text, std::size_t width);

// `text` cut to at most `width` columns at its front, starting with "..."
// when cut: for PK/DN names, whose ends tell devices of one product apart.
[[nodiscard]] std::string cut_front(std::string_view text, std::size_t width);

// `text` padded with spaces to `width` columns (never cut).
[[nodiscard]] std::string pad(std::string_view text, std::size_t width);
// `text` padded on the left.
[[nodiscard]] std::string pad_left(std::string_view text, std::size_t width);

// "2026-12-07T15:02:14Z" as "2026-12-07 16:02:14" in `zone`; other text as
// it is; "-" for none.
[[nodiscard]] std::string format_time(const std::optional<std::string>& iso, TimeZone zone);
// A past moment, short: "16:02:14" on the day of `now`, else "2026-12-06 16:02"
// (in `zone`); "-" for none, other text as it is.
[[nodiscard]] std::string format_recent(const std::optional<std::string>& iso, TimeZone zone,
                                        std::chrono::system_clock::time_point now);
// A moment as "2026-12-07 16:02:14" in `zone`.
[[nodiscard]] std::string format_time(std::chrono::system_clock::time_point when, TimeZone zone);

// "[########------------]" for `percent` (0..100), `width` columns with the brackets.
[[nodiscard]] std::string progress_bar(int percent, std::size_t width);

}  // namespace otagw::ctl
