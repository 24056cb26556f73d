#pragma once
// The real otagw-cloudsim binary as a child process of a test: its stdout on a
// pipe (to wait for "ready" or capture output), its stderr in a file (for the
// failure message). Killed with SIGKILL if the test dies (PR_SET_PDEATHSIG) or
// forgets it (destructor).
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace otagw::cloudsim_test {

class SimProcess {
 public:
  // Starts OTAGW_CLOUDSIM_BINARY with `args`; stderr goes to `stderr_file`.
  SimProcess(const std::vector<std::string>& args, std::filesystem::path stderr_file);
  ~SimProcess();
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  // Reads stdout until a line equal to `line` (true), EOF or the time-out (false).
  bool wait_for_line(const std::string& line, std::chrono::milliseconds timeout);
  // Everything read from stdout so far, plus what is left until EOF or the time-out.
  std::string read_all_stdout(std::chrono::milliseconds timeout);

  // Sends `signal` (unless the child has exited) and waits for the exit; the
  // exit status (WEXITSTATUS) or 128 + signal number; nullopt on time-out
  // (then the child is killed).
  std::optional<int> signal_and_wait(int signal, std::chrono::milliseconds timeout);
  // Waits for the exit without signalling.
  std::optional<int> wait(std::chrono::milliseconds timeout) { return signal_and_wait(0, timeout); }

  [[nodiscard]] std::string stderr_text() const;

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string stdout_;
  std::filesystem::path stderr_file_;
  std::optional<int> status_;
};

// Runs the binary to completion (10 s at most); its stdout and exit status.
struct RunResult {
  int status = -1;
  std::string out;
  std::string err;
};
RunResult run_sim(const std::vector<std::string>& args, const std::filesystem::path& scratch_dir);

}  // namespace otagw::cloudsim_test
