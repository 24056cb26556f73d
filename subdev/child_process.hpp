#pragma once
// A child process watched by the event loop, without threads or SIGCHLD:
// forked into its own process group, stdin on /dev/null, stdout and stderr on
// pipes, and its exit observed through a pidfd (Linux >= 5.3) that the loop
// polls like any other descriptor. The child gets PR_SET_PDEATHSIG SIGKILL:
// it dies with the daemon (what it started in its group does not; see
// plugin_run_records.hpp). Spawn on the loop thread: the death signal follows
// the thread that forked.
//
// The child inherits no descriptor of ours but 0, 1 and 2 (everything else is
// closed in the child before exec), gets default signal dispositions and an
// empty signal mask (the daemon may ignore SIGPIPE; a plugin must not).
//
// Threading: one loop thread; every member must be called on it.
// Requirement: the process must not set SIGCHLD to SIG_IGN (that reaps
// children behind our back; wait_exit() then reports the status as lost).
#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "transports/asio.hpp"
#include "transports/result.hpp"

namespace otagw::subdev {

// How a process ended: exited with `code`, or killed by `signal`, or, when
// neither is known (SIGCHLD ignored, a kernel error), `lost`.
struct ExitStatus {
  bool exited = false;
  int code = -1;   // when exited
  int signal = 0;  // when killed
  bool lost = false;

  [[nodiscard]] bool success() const noexcept { return exited && code == 0; }
  // "exit 3", "killed by signal 11", "exit status lost".
  [[nodiscard]] std::string describe() const;
};

struct SpawnOptions {
  std::vector<std::string> argv;         // argv[0] is the program's path (no PATH search)
  std::vector<std::string> environment;  // the complete environment, "NAME=value" each
  std::filesystem::path work_dir;        // empty = the daemon's own working directory
};

class ChildProcess {
 public:
  // Starts the program. Fails (with the errno of the exec: ENOENT, EACCES,
  // E2BIG, ...; or of chdir into work_dir) when it cannot be executed; then
  // nothing is left running.
  [[nodiscard]] static Expected<std::unique_ptr<ChildProcess>> spawn(asio::any_io_executor loop,
                                                                     const SpawnOptions& options);

  // Kills the process group (SIGKILL) if the child was not reaped yet and
  // reaps it if it is already gone; never blocks, so a child stuck in the
  // kernel stays a zombie until the daemon exits.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  // Read ends of the child's stdout and stderr. Close them (or cancel their
  // reads) to stop listening; the child then gets SIGPIPE on its next write.
  [[nodiscard]] asio::posix::stream_descriptor& stdout_pipe() noexcept { return stdout_; }
  [[nodiscard]] asio::posix::stream_descriptor& stderr_pipe() noexcept { return stderr_; }

  // Sends `signal_number` to the child's whole process group. A no-op once
  // the child is reaped: its group id may then belong to someone else.
  void signal_group(int signal_number) noexcept;

  // Completes when the child has exited. Before reaping it, SIGKILLs whatever
  // is left in its process group (a plugin must not leave processes behind;
  // the zombie leader keeps the group id from being reused meanwhile).
  // Only one wait at a time; throws boost::system::system_error with
  // operation_aborted when the wait is cancelled (the child is then left
  // running; the destructor kills it).
  asio::awaitable<ExitStatus> wait_exit();

 private:
  ChildProcess(asio::any_io_executor loop, pid_t pid, int pidfd, int stdout_fd, int stderr_fd);
  // waitid() on the child; `reap` false leaves it a zombie.
  [[nodiscard]] bool poll_exit(ExitStatus& status, bool reap) noexcept;

  pid_t pid_;
  bool reaped_ = false;
  asio::posix::stream_descriptor pidfd_;
  asio::posix::stream_descriptor stdout_;
  asio::posix::stream_descriptor stderr_;
};

}  // namespace otagw::subdev
