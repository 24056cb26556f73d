#include "tools/otagwctl/text_cells.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace otagw::ctl {
namespace {

bool continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::string format_tm(const std::tm& parts, const char* format = "%Y-%m-%d %H:%M:%S") {
  char buffer[32];
  const std::size_t n = std::strftime(buffer, sizeof(buffer), format, &parts);
  return std::string(buffer, n);
}

std::tm broken_down(std::chrono::system_clock::time_point when, TimeZone zone) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm parts{};
  if (zone == TimeZone::utc) {
    ::gmtime_r(&seconds, &parts);
  } else {
    ::localtime_r(&seconds, &parts);
  }
  return parts;
}

// "2026-12-07T15:02:14Z", the daemon's form; nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_iso(const std::string& iso) {
  std::tm parts{};
  int consumed = 0;
  if (std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &parts.tm_year, &parts.tm_mon, &parts.tm_mday,
                  &parts.tm_hour, &parts.tm_min, &parts.tm_sec, &consumed) != 6 ||
      static_cast<std::size_t>(consumed) != iso.size()) {
    return std::nullopt;
  }
  parts.tm_year -= 1900;
  parts.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(::timegm(&parts));
}

}  // namespace

std::string printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) c = '?';
  }
  return out;
}

std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) { return !continuation_byte(c); }));
}

std::string cut(std::string_view text, std::size_t width) {
  if (display_width(text) <= width) return std::string(text);
  const std::size_t keep = width >= 4 ? width - 3 : width;
  // The byte where code point number `keep` starts.
  std::size_t columns = 0;
  std::size_t end = 0;
  for (; end < text.size(); ++end) {
    if (continuation_byte(text[end])) continue;
    if (columns == keep) break;
    ++columns;
  }
  std::string out(text.substr(0, end));
  if (width >= 4) out += "...";
  return out;
}

std::string cut_front(std::string_view text, std::size_t width) {
  const std::size_t used = display_width(text);
  if (used <= width) return std::string(text);
  if (width < 4) return cut(text, width);
  // Skip the code points that do not fit, plus room for "...".
  std::size_t skip = used - (width - 3);
  std::size_t start = 0;
  while (start < text.size() && (skip > 0 || continuation_byte(text[start]))) {
    if (!continuation_byte(text[start])) --skip;
    ++start;
  }
  while (start < text.size() && continuation_byte(text[start])) ++start;
  return "..." + std::string(text.substr(start));
}

std::string pad(std::string_view text, std::size_t width) {
  std::string out(text);
  const std::size_t used = display_width(text);
  if (used < width) out.append(width - used, ' ');
  return out;
}

std::string pad_left(std::string_view text, std::size_t width) {
  const std::size_t used = display_width(text);
  return used < width ? std::string(width - used, ' ') + std::string(text) : std::string(text);
}

std::string format_time(const std::optional<std::string>& iso, TimeZone zone) {
  if (!iso) return "-";
  const auto when = parse_iso(*iso);
  return when ? format_time(*when, zone) : printable(*iso);
}

std::string format_recent(const std::optional<std::string>& iso, TimeZone zone,
                          std::chrono::system_clock::time_point now) {
  if (!iso) return "-";
  const auto when = parse_iso(*iso);
  if (!when) return printable(*iso);
  const std::tm then = broken_down(*when, zone);
  const std::tm today = broken_down(now, zone);
  const bool same_day = then.tm_year == today.tm_year && then.tm_yday == today.tm_yday;
  return format_tm(then, same_day ? "%H:%M:%S" : "%Y-%m-%d %H:%M");
}

std::string format_time(std::chrono::system_clock::time_point when, TimeZone zone) {
  return format_tm(broken_down(when, zone));
}

std::string progress_bar(int percent, std::size_t width) {
  const std::size_t inside = width > 2 ? width - 2 : 0;
  const auto clamped = static_cast<std::size_t>(std::clamp(percent, 0, 100));
  const std::size_t filled = clamped * inside / 100;
  return "[" + std::string(filled, '#') + std::string(inside - filled, '-') + "]";
}

}  // namespace otagw::ctl
