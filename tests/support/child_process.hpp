#pragma once
// A real child process for integration tests (otagwd, otagw-cloudsim):
// stdout and stderr go to files in `dir`, the process is its own group and
// dies with the test (PR_SET_PDEATHSIG); the destructor kills what is left.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace otagw::test_support {

class ChildProcess {
 public:
  // argv[0] is the program path. `environment` entries ("K=V") are added to
  // the test's own environment. stderr goes to `stderr_path` when given (an
  // existing file keeps its inode), else to a file in `dir`.
  ChildProcess(std::vector<std::string> argv, const std::filesystem::path& dir,
               std::vector<std::string> environment = {}, std::filesystem::path stderr_path = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  void signal(int signal_number) const;

  // The exit status (exit code, or 128 + signal), or nullopt on time-out.
  std::optional<int> wait(std::chrono::milliseconds timeout);

  // True once `text` appears in stdout (or stderr) within `timeout`; false
  // early when the child exits without having written it.
  bool wait_for_stdout(const std::string& text, std::chrono::milliseconds timeout) const;
  // True once stdout holds a whole line equal to `line` within `timeout`.
  bool wait_for_stdout_line(const std::string& line, std::chrono::milliseconds timeout) const;
  bool wait_for_stderr(const std::string& text, std::chrono::milliseconds timeout) const;

  [[nodiscard]] std::string stdout_text() const;
  [[nodiscard]] std::string stderr_text() const;
  [[nodiscard]] const std::filesystem::path& stderr_file() const noexcept { return stderr_file_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path stdout_file_;
  std::filesystem::path stderr_file_;
};

}  // namespace otagw::test_support
