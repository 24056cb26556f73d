#pragma once
// The running daemon: one io_context, the blocking-call pool, the cloud
// session, signals and systemd notifications. Built from a validated config.
#include <filesystem>
#include <memory>

#include "config/config.hpp"

namespace otagw::daemon {

struct DaemonOptions {
  bool once = false;                 // --once: connect, one pass, exit
  std::filesystem::path config_file;  // read again on a reload (SIGHUP, otagwctl reload)
};

class Daemon {
 public:
  Daemon(config::Config config, DaemonOptions options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs until SIGTERM/SIGINT (exit_ok) or, with --once, until the pass ends.
  // SIGHUP reloads the config file.
  // Returns an ExitCode.
  [[nodiscard]] int run();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace otagw::daemon
