#pragma once
// The command line of otagw-cloudsim (README.md "Usage"). Parsing only; the
// commands live in commands.hpp.
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "tools/cloudsim/server_options.hpp"

namespace otagw::cloudsim {

struct ServeCommand {
  std::filesystem::path scenario;
  ServerOptions server;
  std::optional<std::filesystem::path> report;
  std::string log_level = "info";
};

struct DevicesFileCommand {
  std::filesystem::path scenario;
};

struct HelpCommand {};

using Command = std::variant<ServeCommand, DevicesFileCommand, HelpCommand>;

struct CliResult {
  std::optional<Command> command;
  std::string error;  // set when command is not: says which option is wrong
};

// `args` without the program name.
[[nodiscard]] CliResult parse_command_line(std::span<const std::string_view> args);

[[nodiscard]] std::string_view usage_text() noexcept;

}  // namespace otagw::cloudsim
