#include "config/flash_window_list.hpp"

#include <algorithm>
#include <string>

namespace otagw::config::detail {

std::optional<std::vector<FlashWindow>> read_flash_windows(const MapReader& map, ErrorSink& errors,
                                                           std::string_view key, NullWindows null) {
  if (!map.has(key)) return std::nullopt;
  const YAML::Node node = map.value(key);
  if (node.IsNull()) {
    if (null == NullWindows::empty) return std::vector<FlashWindow>{};
    map.error(key, "expected a list of windows like [\"02:00-05:00\"] ([] = always open), got nothing");
    return std::nullopt;
  }
  if (!node.IsSequence()) {
    map.error(key, "expected a list of windows like [\"02:00-05:00\"], got " + describe(node));
    return std::nullopt;
  }
  const std::string list_path = map.path(key);
  std::vector<FlashWindow> windows;
  bool ok = true;
  std::size_t index = 0;
  for (const YAML::Node& item : node) {
    const std::string path = index_path(list_path, index++);
    const int line = line_of(item) > 0 ? line_of(item) : map.line(key);
    if (!item.IsScalar()) {
      errors.error(path, line, "expected a window like \"02:00-05:00\", got " + describe(item));
      ok = false;
      continue;
    }
    auto window = parse_flash_window(item.Scalar());
    if (!window) {
      errors.error(path, line, std::move(window.error()));
      ok = false;
      continue;
    }
    if (std::find(windows.begin(), windows.end(), *window) == windows.end()) windows.push_back(*window);
  }
  if (!ok) return std::nullopt;
  return windows;
}

}  // namespace otagw::config::detail
