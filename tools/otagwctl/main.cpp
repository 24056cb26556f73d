// otagwctl: the operator's command line for otagwd's control socket
// (docs/control.md). Parses the arguments and runs one command.
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "tools/otagwctl/commands.hpp"
#include "tools/otagwctl/exit_code.hpp"
#include "tools/otagwctl/request.hpp"
#include "tools/otagwctl/socket_path.hpp"

namespace {

using namespace otagw::ctl;

constexpr std::chrono::seconds kAnswerTimeout{30};
// A reload validates the whole config (secret files, plugins) before it answers.
constexpr std::chrono::seconds kReloadTimeout{120};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Shows what otagwd does and steers it through its control socket (docs/control.md).", "otagwctl"};
  app.set_version_flag("--version", OTAGW_VERSION);
  app.footer(
      "Exit codes: 0 done, 1 refused by otagwd, 2 usage (or a --config without a usable control.socket), "
      "3 otagwd unreachable (no socket, closed, no answer in time).");
  // Options of otagwctl itself may come after the command too.
  app.fallthrough();

  std::string socket;
  std::string config;
  double timeout_s = 0;
  auto* socket_option = app.add_option("-s,--socket", socket, std::string("otagwd's control socket (default ") +
                                                                  kDefaultSocket + ")")
                            ->type_name("PATH");
  auto* config_option = app.add_option("-c,--config", config,
                                       "read the socket's path from control.socket of this otagwd config (no "
                                       "other key is read)")
                            ->type_name("FILE");
  socket_option->excludes(config_option);
  app.add_option("--timeout", timeout_s,
                 "seconds to wait for otagwd's answer (default 30, reload 120)")
      ->type_name("SECONDS")
      ->check(CLI::Range(0.001, 86400.0));
  app.require_subcommand(1);

  bool json = false;
  bool watch = false;
  auto* status = app.add_subcommand("status", "sub-device by sub-device: version, state, progress, last result");
  status->add_flag("--json", json,
                   "the status object as JSON, pretty-printed (docs/control.md); with --watch the daemon's "
                   "lines as they arrive, one JSON object a line");
  status->add_flag("-w,--watch", watch,
                   "follow live until Ctrl-C: progress bars on a terminal, a timestamped line per change "
                   "otherwise");
  app.add_subcommand("sweep", "start a pass over the sub-devices now (a running one goes on)");
  std::string device;
  auto* check = app.add_subcommand("check", "visit one sub-device next");
  check->add_option("device", device, "the sub-device: PRODUCT_KEY/DEVICE_NAME (or PRODUCT_KEY.DEVICE_NAME)")
      ->type_name("PK/DN")
      ->required();
  app.add_subcommand("reload",
                     "re-read the config; waits for the outcome and prints the errors of a refused one");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end here with exit code 0; anything else is a usage error.
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }

  Target target{kDefaultSocket, kAnswerTimeout};
  if (!socket.empty()) target.socket = socket;
  if (!config.empty()) {
    auto from_config = socket_from_config(config);
    if (!from_config) {
      std::fprintf(stderr, "otagwctl: %s\n", from_config.error().c_str());
      return exit_usage;
    }
    target.socket = *from_config;
  }
  const CLI::App* command = app.get_subcommands().front();
  if (command->get_name() == "reload") target.timeout = kReloadTimeout;
  if (timeout_s > 0) {
    target.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000));
  }

  const Streams streams;
  if (command->get_name() == "status") {
    return watch ? run_watch(target, json, streams) : run_status(target, json, streams);
  }
  if (command->get_name() == "sweep") return run_sweep(target, streams);
  if (command->get_name() == "check") {
    const auto name = device_argument(device);
    if (!name) {
      std::fprintf(stderr, "otagwctl: check: '%s' is no sub-device name; give PRODUCT_KEY/DEVICE_NAME\n",
                   device.c_str());
      return exit_usage;
    }
    return run_check(target, *name, streams);
  }
  return run_reload(target, streams);
}
