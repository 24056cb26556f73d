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
  // Generated packages and the firmware server's PKI; none = a temporary
  // directory, removed at exit.
  std::optional<std::filesystem::path> work_dir;
  std::string table = "off";  // auto | live | plain | off (stdout)
  FirmwareListen firmware;
};

struct DevicesFileCommand {
  std::filesystem::path scenario;
};

struct ConfigCommand {
  std::filesystem::path scenario;
  std::string broker_host = "127.0.0.1";
  std::uint16_t broker_port = 0;
  std::filesystem::path state_dir;
  std::optional<std::filesystem::path> ca_file;
  std::optional<std::filesystem::path> work_dir;  // ${work}; default: the state dir's parent
  std::optional<std::filesystem::path> output;    // default: stdout
};

struct RunCommand {
  std::filesystem::path scenario;
  std::optional<std::filesystem::path> otagwd;
  std::optional<std::filesystem::path> keep;    // work here and keep it; default: a temporary directory
  std::optional<std::filesystem::path> report;  // also write the report here
  std::string table = "auto";
  std::string log_level = "info";
};

struct HelpCommand {};

using Command = std::variant<ServeCommand, DevicesFileCommand, ConfigCommand, RunCommand, HelpCommand>;

struct CliResult {
  std::optional<Command> command;
  std::string error;  // set when command is not: says which option is wrong
};

// `args` without the program name.
[[nodiscard]] CliResult parse_command_line(std::span<const std::string_view> args);

[[nodiscard]] std::string_view usage_text() noexcept;

}  // namespace otagw::cloudsim
