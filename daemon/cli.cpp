#include "daemon/cli.hpp"

#include <string_view>

namespace otagw::daemon {

std::string usage_text() {
  return "usage: otagwd --config FILE [--once] [--check-config]\n"
         "\n"
         "  -c, --config FILE  the gateway configuration (YAML)\n"
         "      --once         connect, run one pass over the sub-devices, exit\n"
         "      --check-config validate the configuration, print every error, exit 0 or 1\n"
         "  -h, --help         this text\n"
         "      --version      print the version\n";
}

CliParse parse_cli(std::span<const char* const> args) {
  CliOptions options;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--config" || arg == "-c") {
      if (i + 1 >= args.size()) return {std::nullopt, std::string(arg) + " needs a file name"};
      options.config_file = args[++i];
    } else if (arg.starts_with("--config=")) {
      options.config_file = std::string(arg.substr(9));
    } else if (arg == "--once") {
      options.once = true;
    } else if (arg == "--check-config") {
      options.check_config = true;
    } else if (arg == "--help" || arg == "-h") {
      options.help = true;
    } else if (arg == "--version") {
      options.version = true;
    } else {
      return {std::nullopt, "unknown argument '" + std::string(arg) + "'"};
    }
  }
  if (!options.help && !options.version && options.config_file.empty()) {
    return {std::nullopt, "--config FILE is required"};
  }
  return {options, {}};
}

}  // namespace otagw::daemon
