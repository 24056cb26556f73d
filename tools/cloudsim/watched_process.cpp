#include "tools/cloudsim/watched_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

extern char** environ;

namespace otagw::cloudsim {
namespace {

int open_pidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// Between fork and exec only async-signal-safe calls: the process has other
// threads (the blocking pool).
[[noreturn]] void exec_child(pid_t parent, char* const argv[], char* const envp[], const char* log_path) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int signal_number : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD}) ::signal(signal_number, SIG_DFL);
  const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int out = ::open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (in >= 0) ::dup2(in, STDIN_FILENO);
  if (out >= 0) {
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
  }
  if (::close_range(3, ~0U, 0) != 0) {
    for (int fd = 3; fd < 4096; ++fd) ::close(fd);
  }
  ::execve(argv[0], argv, envp);
  static const char message[] = "otagw-cloudsim: cannot execute the program\n";
  [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, message, sizeof(message) - 1);
  ::_exit(127);
}

}  // namespace

std::vector<std::string> environment_with(const std::vector<std::string>& extra) {
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('=') + 1);
    bool replaced = false;
    for (const auto& mine : extra) replaced = replaced || mine.starts_with(name);
    if (!replaced) environment.emplace_back(entry);
  }
  environment.insert(environment.end(), extra.begin(), extra.end());
  return environment;
}

WatchedProcess::WatchedProcess(asio::any_io_executor loop, std::vector<std::string> argv,
                               std::vector<std::string> environment, const std::filesystem::path& log_file)
    : pidfd_(loop), timer_(loop) {
  std::vector<char*> argv_pointers;
  for (auto& arg : argv) argv_pointers.push_back(arg.data());
  argv_pointers.push_back(nullptr);
  std::vector<char*> env_pointers;
  for (auto& entry : environment) env_pointers.push_back(entry.data());
  env_pointers.push_back(nullptr);
  const std::string log_path = log_file.string();
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid_ == 0) exec_child(parent, argv_pointers.data(), env_pointers.data(), log_path.c_str());
  ::setpgid(pid_, pid_);  // also here: no signal_group() may reach our own group
  const int pidfd = open_pidfd(pid_);
  if (pidfd < 0) {
    const int err = errno;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    throw std::system_error(err, std::generic_category(), "pidfd_open");
  }
  pidfd_.assign(pidfd);
}

WatchedProcess::~WatchedProcess() {
  if (!exited()) {
    signal_group(SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

void WatchedProcess::signal_group(int signal_number) noexcept {
  if (status_ || pid_ <= 0) return;
  ::kill(-pid_, signal_number);
}

bool WatchedProcess::exited() noexcept {
  if (status_) return true;
  int status = 0;
  const pid_t done = ::waitpid(pid_, &status, WNOHANG);
  if (done != pid_) return false;
  status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  // Whatever it left in its group goes with it.
  ::kill(-pid_, SIGKILL);
  return true;
}

asio::awaitable<bool> WatchedProcess::wait_for(std::chrono::milliseconds timeout) {
  if (exited()) co_return true;
  timer_.expires_after(timeout);
  // The time-out cancels the wait on the pidfd. The handler runs after `this`
  // may be gone only with operation_aborted, and then touches nothing.
  auto* pidfd = &pidfd_;
  timer_.async_wait([pidfd](boost::system::error_code ec) {
    if (!ec) pidfd->cancel();
  });
  boost::system::error_code ec;
  co_await pidfd_.async_wait(asio::posix::stream_descriptor::wait_read, asio::redirect_error(asio::use_awaitable, ec));
  timer_.cancel();
  co_return exited();
}

}  // namespace otagw::cloudsim
