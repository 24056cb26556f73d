#pragma once
// The command line of otagw-cloudsim (README.md "Usage"), read with CLI11.
// Parsing only; the commands live in commands.hpp. CLI11 stays in cli.cpp.
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

using Command = std::variant<ServeCommand, DevicesFileCommand, ConfigCommand, RunCommand>;

// What to do instead of running a command.
struct CliStop {
  enum class Kind {
    help,         // --help (on any command) or `help`: print `text` on stdout, exit 0
    usage_error,  // print `text` on stderr, exit 2 (kExitUsage)
  };
  Kind kind;
  std::string text;  // ends with a newline
};

// `args` without the program name. Options take "--name value" or
// "--name=value", in any order around `run`'s SCENARIO.
[[nodiscard]] std::variant<Command, CliStop> parse_command_line(std::span<const std::string_view> args);

}  // namespace otagw::cloudsim
