#include "tests/support/child_process.hpp"

#include "tests/support/wait_until.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace otagw::test_support {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// True when the child has exited (a zombie, looked at without reaping it, or
// already reaped by wait()).
bool has_exited(pid_t pid) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return errno == ECHILD;
  return info.si_pid == pid;
}

// Polls until `found` holds, the time-out, or the child's exit (then a last look: what
// it wrote before it went counts).
template <typename Found>
bool wait_for_output(pid_t pid, Found found, std::chrono::milliseconds timeout) {
  (void)wait_until([&] { return found() || has_exited(pid); }, timeout);
  return found();
}

bool wait_for_text(pid_t pid, const std::filesystem::path& file, const std::string& text,
                   std::chrono::milliseconds timeout) {
  return wait_for_output(pid, [&] { return read_file(file).find(text) != std::string::npos; }, timeout);
}

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv, const std::filesystem::path& dir,
                           std::vector<std::string> environment, std::filesystem::path stderr_path) {
  static int counter = 0;
  const std::string stem = std::filesystem::path(argv.at(0)).filename().string() + "." + std::to_string(++counter);
  stdout_file_ = dir / (stem + ".stdout");
  stderr_file_ = stderr_path.empty() ? dir / (stem + ".stderr") : std::move(stderr_path);

  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  for (auto& entry : environment) env.push_back(std::move(entry));
  std::vector<char*> env_pointers;
  for (auto& entry : env) env_pointers.push_back(entry.data());
  env_pointers.push_back(nullptr);
  std::vector<char*> argv_pointers;
  for (auto& arg : argv) argv_pointers.push_back(arg.data());
  argv_pointers.push_back(nullptr);

  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    setpgid(0, 0);
    sigset_t none;  // a signal the test blocks must still reach the child
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    const int null_in = open("/dev/null", O_RDONLY);
    const int out = open(stdout_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(stderr_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(null_in, 0);
    dup2(out, 1);
    dup2(err, 2);
    // Do not hand the test's sockets (brokers, sessions) to the child.
    for (int fd = 3; fd < 1024; ++fd) close(fd);
    execve(argv_pointers[0], argv_pointers.data(), env_pointers.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (!status_ && pid_ > 0) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void ChildProcess::signal(int signal_number) const {
  if (!status_) ::kill(pid_, signal_number);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!status_) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

bool ChildProcess::wait_for_stdout(const std::string& text, std::chrono::milliseconds timeout) const {
  return wait_for_text(pid_, stdout_file_, text, timeout);
}

bool ChildProcess::wait_for_stdout_line(const std::string& line, std::chrono::milliseconds timeout) const {
  const std::string framed = "\n" + line + "\n";
  return wait_for_output(
      pid_, [&] { return ("\n" + read_file(stdout_file_)).find(framed) != std::string::npos; }, timeout);
}

bool ChildProcess::wait_for_stderr(const std::string& text, std::chrono::milliseconds timeout) const {
  return wait_for_text(pid_, stderr_file_, text, timeout);
}

std::string ChildProcess::stdout_text() const { return read_file(stdout_file_); }
std::string ChildProcess::stderr_text() const { return read_file(stderr_file_); }

}  // namespace otagw::test_support
