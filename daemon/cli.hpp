#pragma once
// otagwd's command line.
#include <filesystem>
#include <optional>
#include <span>
#include <string>

namespace otagw::daemon {

struct CliOptions {
  std::filesystem::path config_file;
  bool once = false;
  bool check_config = false;
  bool help = false;
  bool version = false;
};

struct CliParse {
  std::optional<CliOptions> options;  // empty on a usage error
  std::string error;                  // what was wrong, for stderr
};

[[nodiscard]] CliParse parse_cli(std::span<const char* const> args);
[[nodiscard]] std::string usage_text();

}  // namespace otagw::daemon
