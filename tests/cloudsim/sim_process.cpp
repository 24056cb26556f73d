#include "tests/cloudsim/sim_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace otagw::cloudsim_test {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

}  // namespace

SimProcess::SimProcess(const std::vector<std::string>& args, std::filesystem::path stderr_file)
    : stderr_file_(std::move(stderr_file)) {
  // Everything exec needs is prepared before fork: the test may have other threads.
  std::vector<std::string> argv_strings;
  argv_strings.emplace_back(OTAGW_CLOUDSIM_BINARY);
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string err_path = stderr_file_.string();

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (err >= 0) ::dup2(err, STDERR_FILENO);
    if (::close_range(3, ~0U, 0) != 0) {
      for (int fd = 3; fd < 4096; ++fd) ::close(fd);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  stdout_fd_ = pipe_fds[0];
}

SimProcess::~SimProcess() {
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

bool SimProcess::wait_for_line(const std::string& line, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::size_t scanned = 0;
  for (;;) {
    // Whole lines read so far.
    while (true) {
      const auto end = stdout_.find('\n', scanned);
      if (end == std::string::npos) break;
      if (stdout_.compare(scanned, end - scanned, line) == 0 && end - scanned == line.size()) return true;
      scanned = end + 1;
    }
    if (stdout_fd_ < 0) return false;
    pollfd pfd{stdout_fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, remaining_ms(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    char buffer[4096];
    const ssize_t n = ::read(stdout_fd_, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(stdout_fd_);
      stdout_fd_ = -1;
      continue;
    }
    stdout_.append(buffer, static_cast<std::size_t>(n));
  }
}

std::string SimProcess::read_all_stdout(std::chrono::milliseconds timeout) {
  // No line is "\n\n..."-equal to this: reads to EOF or the time-out.
  wait_for_line(std::string(1, '\0'), timeout);
  return stdout_;
}

std::optional<int> SimProcess::signal_and_wait(int signal, std::chrono::milliseconds timeout) {
  if (status_) return status_;
  if (signal != 0) ::kill(pid_, signal);
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return status_;
    }
    if (r < 0 && errno != EINTR) return std::nullopt;
    if (Clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      status_ = 128 + SIGKILL;
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string SimProcess::stderr_text() const {
  std::ifstream in(stderr_file_);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

RunResult run_sim(const std::vector<std::string>& args, const std::filesystem::path& scratch_dir) {
  static int counter = 0;
  SimProcess process(args, scratch_dir / ("run-" + std::to_string(++counter) + ".err"));
  RunResult result;
  result.out = process.read_all_stdout(std::chrono::seconds(10));
  result.status = process.wait(std::chrono::seconds(10)).value_or(-1);
  result.err = process.stderr_text();
  return result;
}

}  // namespace otagw::cloudsim_test
