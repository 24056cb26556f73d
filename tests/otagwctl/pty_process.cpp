#include "tests/otagwctl/pty_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

namespace otagw::ctl_test {

PtyProcess::PtyProcess(std::vector<std::string> argv, unsigned short columns, unsigned short rows)
    : screen_(columns, rows) {
  std::vector<char*> pointers;
  for (auto& arg : argv) pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  winsize size{};
  size.ws_col = columns;
  size.ws_row = rows;
  const pid_t parent = ::getpid();
  pid_ = ::forkpty(&master_, nullptr, nullptr, &size);
  if (pid_ < 0) throw std::runtime_error("forkpty failed");
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int fd = 3; fd < 1024; ++fd) ::close(fd);
    ::setenv("TERM", "xterm", 1);
    ::execv(pointers[0], pointers.data());
    ::_exit(127);
  }
  ::fcntl(master_, F_SETFL, ::fcntl(master_, F_GETFL) | O_NONBLOCK);
  ::fcntl(master_, F_SETFD, FD_CLOEXEC);
}

PtyProcess::~PtyProcess() {
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (master_ >= 0) ::close(master_);
}

bool PtyProcess::pump(std::chrono::milliseconds timeout) {
  pollfd waiting{master_, POLLIN, 0};
  const int ready = ::poll(&waiting, 1, static_cast<int>(timeout.count()));
  if (ready <= 0) return true;
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(master_, chunk, sizeof(chunk));
    if (n > 0) {
      output_.append(chunk, static_cast<std::size_t>(n));
      screen_.feed(std::string_view(chunk, static_cast<std::size_t>(n)));
      continue;
    }
    // EIO: every process holding the terminal's other side is gone.
    return n < 0 && errno == EAGAIN;
  }
}

bool PtyProcess::wait_for(const std::function<bool(const TerminalScreen&)>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done(screen_)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (!pump(std::min(left, std::chrono::milliseconds(50)))) return done(screen_);
  }
  return true;
}

bool PtyProcess::wait_for_text(const std::string& text, std::chrono::milliseconds timeout) {
  return wait_for([&](const TerminalScreen& screen) { return screen.text().find(text) != std::string::npos; },
                  timeout);
}

void PtyProcess::type(const std::string& bytes) {
  if (::write(master_, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
    throw std::runtime_error("cannot type on the pseudo-terminal");
  }
}

void PtyProcess::resize(unsigned short columns, unsigned short rows) {
  winsize size{};
  size.ws_col = columns;
  size.ws_row = rows;
  ::ioctl(master_, TIOCSWINSZ, &size);
  screen_.resize(columns, rows);
}

std::optional<int> PtyProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!status_) {
    (void)pump(std::chrono::milliseconds(20));
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      (void)pump(std::chrono::milliseconds(0));  // what it wrote last
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
  }
  return status_;
}

}  // namespace otagw::ctl_test
