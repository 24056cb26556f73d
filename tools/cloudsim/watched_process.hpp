#pragma once
// A program `otagw-cloudsim run` starts (mosquitto, otagwd): its stdout and
// stderr appended to a log file, stdin on /dev/null, in a process group of its
// own (Ctrl-C reaches the simulator, which then stops it), and killed with
// SIGKILL if the simulator dies first (PR_SET_PDEATHSIG). Its exit is watched
// through a pidfd on the loop.
//
// Threading: the loop's thread; construct it from the thread that runs the
// loop for the process's whole life (PR_SET_PDEATHSIG follows that thread).
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "transports/asio.hpp"

namespace otagw::cloudsim {

class WatchedProcess {
 public:
  // argv[0] is the program's path (no PATH search); `environment` is the
  // complete environment ("NAME=value"). Throws std::system_error when it
  // cannot fork; a program that cannot be executed exits 127 with a line in
  // the log.
  WatchedProcess(asio::any_io_executor loop, std::vector<std::string> argv, std::vector<std::string> environment,
                 const std::filesystem::path& log_file);
  // SIGKILLs the process group and reaps the process if it still runs.
  ~WatchedProcess();
  WatchedProcess(const WatchedProcess&) = delete;
  WatchedProcess& operator=(const WatchedProcess&) = delete;

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  // Sends `signal_number` to the process group; nothing once it has exited.
  void signal_group(int signal_number) noexcept;

  // True (and status() set) once it has exited. Never blocks.
  bool exited() noexcept;
  // The exit code, or 128 + the signal that killed it; nullopt while running.
  [[nodiscard]] std::optional<int> status() const noexcept { return status_; }

  // Completes when the process has exited (true) or after `timeout` (false).
  asio::awaitable<bool> wait_for(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  asio::posix::stream_descriptor pidfd_;
  asio::steady_timer timer_;
};

// The environment of this process plus `extra` ("NAME=value", replacing a
// variable of the same name).
[[nodiscard]] std::vector<std::string> environment_with(const std::vector<std::string>& extra);

}  // namespace otagw::cloudsim
