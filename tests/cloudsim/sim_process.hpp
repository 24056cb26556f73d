#pragma once
// The real otagw-cloudsim binary as a child process of a test
// (test_support::ChildProcess): stdout in a file beside `stderr_file` (to wait
// for "ready" or capture output), stderr in `stderr_file` (for the failure
// message). Killed, with what it started, if the test dies or forgets it.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"

namespace otagw::cloudsim_test {

class SimProcess {
 public:
  // Starts OTAGW_CLOUDSIM_BINARY with `args`; stderr goes to `stderr_file`.
  SimProcess(const std::vector<std::string>& args, const std::filesystem::path& stderr_file);

  // True once stdout holds a line equal to `line`; false at the time-out.
  bool wait_for_line(const std::string& line, std::chrono::milliseconds timeout) {
    return child_.wait_for_stdout_line(line, timeout);
  }
  // stdout when the process has exited, or as far as written at the time-out.
  std::string read_all_stdout(std::chrono::milliseconds timeout);

  // Sends `signal` (0: none) unless the child has exited, and waits for the
  // exit: the exit status or 128 + signal number; nullopt on time-out (then the
  // child is killed).
  std::optional<int> signal_and_wait(int signal, std::chrono::milliseconds timeout);
  // Waits for the exit without signalling.
  std::optional<int> wait(std::chrono::milliseconds timeout) { return signal_and_wait(0, timeout); }

  [[nodiscard]] std::string stderr_text() const { return child_.stderr_text(); }

 private:
  test_support::ChildProcess child_;
};

// Runs the binary to completion (10 s at most); its stdout and exit status.
struct RunResult {
  int status = -1;
  std::string out;
  std::string err;
};
RunResult run_sim(const std::vector<std::string>& args, const std::filesystem::path& scratch_dir);

}  // namespace otagw::cloudsim_test
