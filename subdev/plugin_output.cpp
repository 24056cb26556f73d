#include "subdev/plugin_output.hpp"

#include <charconv>

#include <spdlog/spdlog.h>

#include "config/identifiers.hpp"
#include "subdev/line_splitter.hpp"
#include "transports/device_log.hpp"

namespace otagw::subdev {
namespace {

std::string_view trim(std::string_view text) {
  constexpr std::string_view blanks = " \t\r\n\v\f";
  const auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(blanks);
  return text.substr(first, last - first + 1);
}

}  // namespace

std::optional<int> parse_progress(std::string_view line) {
  line = trim(line);
  constexpr std::string_view keyword = "progress";
  if (!line.starts_with(keyword)) return std::nullopt;
  const auto number = trim(line.substr(keyword.size()));
  // At least one blank between the keyword and the number.
  if (number.empty() || number.size() == line.size() - keyword.size()) return std::nullopt;
  int value = -1;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc{} || end != number.data() + number.size() || value < 0 || value > 100) return std::nullopt;
  return value;
}

std::optional<std::string> parse_version(std::string_view line) {
  const auto version = trim(line);
  if (config::detail::check_version(version)) return std::nullopt;
  return std::string(version);
}

void OutputLog::write(std::string_view line, bool truncated) {
  if (exhausted_) return;
  const auto level = level_ == Level::info ? spdlog::level::info : spdlog::level::debug;
  // A line costs its length plus what a log line costs anyway (time stamp,
  // level, prefix; a journal entry's fields), so short lines count too: a
  // million empty lines are a million log records.
  constexpr std::size_t kPerLine = 64;
  const std::size_t cost = line.size() + kPerLine;
  if (cost > budget_) {
    exhausted_ = true;
    device_log::log(level, device_, target_version_, "{}: further {} output not logged (too much)", prefix_,
                    stream_name_);
    return;
  }
  budget_ -= cost;
  device_log::log(level, device_, target_version_, "{}: {}{}", prefix_, printable_line(line),
                  truncated ? " [line cut]" : "");
}

}  // namespace otagw::subdev
