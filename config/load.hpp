#pragma once
// Loading and validating the YAML configuration.
//
// Every problem found is collected, not just the first: an operator fixing a
// config wants the whole list. Each error names the YAML key path, the line
// and, for files other than the main one, the file.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace otagw::config {

struct ConfigError {
  std::filesystem::path file;  // the file the key is in
  std::string key_path;        // e.g. "subdevices[3].plugin"; empty for file-level errors
  int line = 0;                // 1-based; 0 when unknown
  std::string message;         // e.g. "unknown plugin 'uart2'"

  // "subdevices[3].plugin: unknown plugin 'uart2' (line 41)", with
  // "FILE: " in front when `main_file` differs from `file`.
  [[nodiscard]] std::string to_string(const std::filesystem::path& main_file = {}) const;
};

struct LoadResult {
  std::optional<Config> config;     // set only when errors is empty
  std::vector<ConfigError> errors;  // in file order
};

// Reads and validates `path` (and the files of its subdevices_dir). Never throws
// for bad input; I/O problems are errors in the result.
[[nodiscard]] LoadResult load_config_file(const std::filesystem::path& path);

// The same from text; `file_name` is used in messages, and a relative
// subdevices_dir or *_file path is resolved against `base_dir`.
[[nodiscard]] LoadResult load_config_string(std::string_view yaml, const std::filesystem::path& file_name,
                                            const std::filesystem::path& base_dir = std::filesystem::current_path());

}  // namespace otagw::config
