#pragma once
// Runs one child process to completion on the loop, under a time limit:
// its stdout and stderr are read as lines while it runs; at the limit its
// whole process group gets SIGTERM, and SIGKILL `term_grace` later if the
// child is still there. When the child exits, whatever is left in its group
// is SIGKILLed (see ChildProcess::wait_exit).
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "subdev/child_process.hpp"
#include "subdev/line_reader.hpp"
#include "transports/asio.hpp"

namespace otagw::subdev {

struct SupervisedRun {
  SpawnOptions spawn;
  std::chrono::steady_clock::duration timeout = std::chrono::seconds(600);
  std::chrono::steady_clock::duration term_grace = std::chrono::seconds(5);
  // After the child exits, how long to keep reading output that a process
  // which left the group (setsid) may still hold open.
  std::chrono::steady_clock::duration drain = std::chrono::seconds(2);
  std::size_t max_line = 4096;
  // Called on the loop right after the child started, with its pid (which
  // is its process group); must not throw.
  std::function<void(pid_t)> on_spawned = [](pid_t) {};
  // Called on the loop for each line; must not throw.
  LineSplitter::LineHandler on_stdout = [](std::string_view, bool) {};
  LineSplitter::LineHandler on_stderr = [](std::string_view, bool) {};
};

struct SupervisedExit {
  std::optional<ExitStatus> status;  // nullopt: it could not be started
  std::string start_error;           // why not, e.g. "cannot start /x: No such file or directory"
  bool timed_out = false;            // the time limit hit (whatever the status says)
};

// Completes once the child was reaped and both output streams were read to
// the end (or closed after `drain`). Never throws for process or I/O errors.
// Cancellation: none (Boost 1.74); destroying the loop mid-run kills the
// group.
asio::awaitable<SupervisedExit> run_supervised(asio::any_io_executor loop, SupervisedRun run);

}  // namespace otagw::subdev
