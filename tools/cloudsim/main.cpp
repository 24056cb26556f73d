// otagw-cloudsim: a local stand-in for the Alibaba Cloud IoT Platform (README.md).
#include <iostream>
#include <string_view>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "tools/cloudsim/cli.hpp"
#include "tools/cloudsim/commands.hpp"

int main(int argc, char** argv) {
  using namespace otagw::cloudsim;
  // stdout carries only "ready", the devices file, the config and the table:
  // logs go to stderr (run: to a file).
  auto logger = spdlog::stderr_color_mt("cloudsim");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e cloudsim %^%l%$: %v");
  spdlog::set_default_logger(std::move(logger));

  const std::vector<std::string_view> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  auto parsed = parse_command_line(args);
  if (const auto* stop = std::get_if<CliStop>(&parsed)) {
    const bool help = stop->kind == CliStop::Kind::help;
    (help ? std::cout : std::cerr) << stop->text << std::flush;
    return help ? kExitOk : kExitUsage;
  }
  const auto& command = std::get<Command>(parsed);
  if (const auto* serve = std::get_if<ServeCommand>(&command)) return run_serve(*serve);
  if (const auto* config = std::get_if<ConfigCommand>(&command)) return run_config(*config);
  if (const auto* run = std::get_if<RunCommand>(&command)) return run_run(*run);
  return run_devices_file(std::get<DevicesFileCommand>(command));
}
