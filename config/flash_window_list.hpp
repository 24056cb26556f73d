#pragma once
// Reading a YAML list of flash windows (flash_window.hpp), shared by
// ota.flash_windows and subdevices[].flash_windows.
#include <optional>
#include <string_view>
#include <vector>

#include "config/error_sink.hpp"
#include "config/flash_window.hpp"
#include "config/yaml_map_reader.hpp"

namespace otagw::config::detail {

// What a key given with no value (`flash_windows:` alone) means.
enum class NullWindows {
  empty,    // the same as []: ota.flash_windows, where absent means always open too
  refused,  // an error: on a sub-device "nothing" could mean "inherit" or "always"
};

// `key` of `map` as a list of windows, an exact repeat dropped. nullopt when
// the key is absent, or when anything in it is wrong: each bad item is
// reported to `errors` with its own index and line.
[[nodiscard]] std::optional<std::vector<FlashWindow>> read_flash_windows(const MapReader& map, ErrorSink& errors,
                                                                         std::string_view key, NullWindows null);

}  // namespace otagw::config::detail
