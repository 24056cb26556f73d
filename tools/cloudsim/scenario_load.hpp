#pragma once
// Reading a scenario from YAML, with every error naming its key path and line
// ("devices[2].modules.mcu.query: expected one of reply, no_reply, push, got 'maybe'").
// Unknown keys are errors. Never throws a yaml-cpp exception.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/cloudsim/scenario.hpp"

namespace otagw::cloudsim {

struct ScenarioError {
  std::string path;  // "devices[2].login"; "" for the document itself
  int line = 0;      // 1-based; 0 when unknown
  std::string message;

  // "path (line N): message"
  [[nodiscard]] std::string to_string() const;
};

struct ScenarioLoad {
  std::optional<Scenario> scenario;  // set only when errors is empty
  std::vector<ScenarioError> errors;
};

// Relative paths in the scenario (package files) resolve against `base_dir`.
[[nodiscard]] ScenarioLoad parse_scenario(std::string_view yaml_text,
                                          const std::filesystem::path& base_dir = std::filesystem::current_path());

// Reads and parses `file`; an unreadable file is one error with an empty path.
// Relative paths resolve against the file's directory.
[[nodiscard]] ScenarioLoad load_scenario(const std::filesystem::path& file);

}  // namespace otagw::cloudsim
