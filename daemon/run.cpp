#include "daemon/run.hpp"

#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>

#include <spdlog/spdlog.h>

#include "config/load.hpp"
#include "daemon/cli.hpp"
#include "daemon/daemon.hpp"
#include "daemon/exit_code.hpp"
#include "daemon/heap.hpp"
#include "daemon/logging.hpp"
#include "daemon/state_dir.hpp"

#ifndef OTAGW_VERSION
#define OTAGW_VERSION "unknown"
#endif

namespace otagw::daemon {

int run_otagwd(std::span<const char* const> args) {
  const CliParse cli = parse_cli(args);
  if (!cli.options) {
    std::cerr << "otagwd: " << cli.error << "\n\n" << usage_text();
    return exit_usage;
  }
  const CliOptions& options = *cli.options;
  if (options.help) {
    std::cout << usage_text();
    return exit_ok;
  }
  if (options.version) {
    std::cout << "otagwd " << OTAGW_VERSION << "\n";
    return exit_ok;
  }

  config::LoadResult loaded = config::load_config_file(options.config_file);
  if (!loaded.errors.empty()) {
    for (const auto& error : loaded.errors) std::cerr << error.to_string(options.config_file) << "\n";
    std::cerr << options.config_file.string() << ": " << loaded.errors.size() << " error(s)\n";
    return exit_config_error;
  }
  config::Config& config = *loaded.config;
  if (options.check_config) {
    std::cout << options.config_file.string() << ": OK (" << config.subdevices.size() << " sub-device(s), "
              << config.plugins.size() << " plugin(s))\n";
    return exit_ok;
  }

  // The YAML tree is gone; its pages, scattered between the config's own
  // allocations, would stay resident (heap.hpp): 10 MiB with 2000 sub-devices.
  release_free_heap();
  setup_logging(config.log.level);
  std::error_code ec;
  std::filesystem::create_directories(config.ota.state_dir, ec);
  if (ec) {
    spdlog::critical("ota.state_dir: cannot create {}: {}", config.ota.state_dir.string(), ec.message());
    return exit_config_error;
  }
  // Locked before the probe so that a second daemon writes nothing into a
  // state it does not own; held until run_otagwd returns.
  auto lock = StateDirLock::acquire(config.ota.state_dir);
  if (!lock) {
    if (lock.error().code == std::errc::resource_unavailable_try_again) {
      spdlog::critical("{}", lock.error().context);  // EAGAIN's own text would only confuse
      return exit_state_locked;
    }
    spdlog::critical("{}", lock.error().message());
    return exit_config_error;
  }
  // A read-only or full state_dir is the operator's to fix (exit 1), better
  // said now than as a failed journal write in the middle of a flash.
  if (auto probe = probe_writable(config.ota.state_dir); !probe) {
    spdlog::critical("{}", probe.error().message());
    return exit_config_error;
  }

  try {
    Daemon daemon(std::move(config), DaemonOptions{.once = options.once, .config_file = options.config_file});
    return daemon.run();
  } catch (const std::exception& e) {
    // Only programming errors and resource exhaustion at start-up get here;
    // the I/O paths report errors as values.
    spdlog::critical("otagwd: fatal: {}", e.what());
    return exit_config_error;
  }
}

}  // namespace otagw::daemon
