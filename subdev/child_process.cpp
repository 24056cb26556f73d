#include "subdev/child_process.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace otagw::subdev {
namespace {

std::error_code errno_code(int value) { return {value, std::system_category()}; }

// An owned descriptor for the error paths of spawn().
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  [[nodiscard]] int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

// A pipe whose ends are both >= 3: a daemon started with 0, 1 or 2 closed
// would otherwise get them from pipe2(), and the child's dup2() onto 0..2
// would clobber one end before copying it.
std::error_code make_pipe(Fd& read_end, Fd& write_end) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) return errno_code(errno);
  Fd raw_read(ends[0]);
  Fd raw_write(ends[1]);
  for (Fd* end : {&raw_read, &raw_write}) {
    if (end->get() >= 3) continue;
    const int moved = ::fcntl(end->get(), F_DUPFD_CLOEXEC, 3);
    if (moved < 0) return errno_code(errno);
    *end = Fd(moved);
  }
  read_end = std::move(raw_read);
  write_end = std::move(raw_write);
  return {};
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (const auto& s : strings) pointers.push_back(const_cast<char*>(s.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

std::string ExitStatus::describe() const {
  if (exited) return "exit " + std::to_string(code);
  if (signal != 0) return "killed by signal " + std::to_string(signal);
  return "exit status lost";
}

namespace {

// What the child reports on its exec-status pipe when it cannot exec: the
// stage that failed and its errno. Nothing arrives (EOF) when exec worked.
enum class ChildStage : int { setup = 1, work_dir = 2, exec = 3 };

struct ChildFailure {
  int stage;
  int error;
};

struct ChildPlan {
  const char* path;
  char* const* argv;
  char* const* envp;
  const char* work_dir;  // nullptr: stay where the daemon is
  int stdout_fd;
  int stderr_fd;
  int report_fd;  // O_CLOEXEC: exec closes it, which the parent reads as success
  pid_t parent;
};

[[noreturn]] void fail_in_child(int report_fd, ChildStage stage) noexcept {
  const ChildFailure failure{static_cast<int>(stage), errno};
  [[maybe_unused]] const auto written = ::write(report_fd, &failure, sizeof failure);
  ::_exit(127);
}

// Runs in the forked child until exec: async-signal-safe calls only (the
// daemon has other threads; one of them may hold the allocator's lock).
[[noreturn]] void exec_child(const ChildPlan& plan) noexcept {
  // Own process group (pgid = pid), so a time-out can signal the plugin and
  // everything it started, and a restarted daemon can find what is left of
  // it (plugin_run_records.hpp).
  if (::setpgid(0, 0) != 0) fail_in_child(plan.report_fd, ChildStage::setup);
  // Dies with the daemon. The signal comes when the *thread* that forked
  // exits: always the loop thread, which lives as long as the process.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail_in_child(plan.report_fd, ChildStage::setup);
  if (::getppid() != plan.parent) ::_exit(127);  // the daemon died before prctl took hold
  // Default dispositions and an empty mask: ignored signals and the mask
  // survive exec (the daemon ignores SIGPIPE; a plugin must not).
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
    if (signal_number != SIGKILL && signal_number != SIGSTOP) ::sigaction(signal_number, &default_action, nullptr);
  }
  if (plan.work_dir != nullptr && ::chdir(plan.work_dir) != 0) fail_in_child(plan.report_fd, ChildStage::work_dir);
  const int dev_null = ::open("/dev/null", O_RDONLY);
  if (dev_null < 0 || ::dup2(dev_null, 0) < 0) fail_in_child(plan.report_fd, ChildStage::setup);
  if (dev_null > 2) ::close(dev_null);
  // The pipes are >= 3 (make_pipe), so these cannot clobber each other; dup2
  // clears O_CLOEXEC on 1 and 2.
  if (::dup2(plan.stdout_fd, 1) < 0 || ::dup2(plan.stderr_fd, 2) < 0) fail_in_child(plan.report_fd, ChildStage::setup);
  // Whatever a library of ours opened without O_CLOEXEC closes at exec.
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    struct rlimit limit {};
    const rlim_t last = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY ? limit.rlim_cur : 65536;
    for (rlim_t fd = 3; fd < last; ++fd) ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
  }
  sigset_t no_signals;
  ::sigemptyset(&no_signals);
  ::sigprocmask(SIG_SETMASK, &no_signals, nullptr);
  ::execve(plan.path, plan.argv, plan.envp);
  fail_in_child(plan.report_fd, ChildStage::exec);
}

}  // namespace

Expected<std::unique_ptr<ChildProcess>> ChildProcess::spawn(asio::any_io_executor loop, const SpawnOptions& options) {
  if (options.argv.empty()) return make_error(errno_code(EINVAL), "spawn: empty argv");
  const std::string context = "cannot start " + options.argv.front();

  Fd out_read, out_write, err_read, err_write, report_read, report_write;
  if (auto ec = make_pipe(out_read, out_write)) return make_error(ec, context + ": pipe");
  if (auto ec = make_pipe(err_read, err_write)) return make_error(ec, context + ": pipe");
  if (auto ec = make_pipe(report_read, report_write)) return make_error(ec, context + ": pipe");

  // Everything the child needs is prepared here: it may not allocate.
  auto argv = c_strings(options.argv);
  auto envp = c_strings(options.environment);
  const std::string work_dir = options.work_dir.string();
  const ChildPlan plan{argv.front(),       argv.data(),      envp.data(),        work_dir.empty() ? nullptr : work_dir.c_str(),
                       out_write.get(),    err_write.get(),  report_write.get(), ::getpid()};

  // fork, not posix_spawn: only a child of our own can set PR_SET_PDEATHSIG
  // before exec. Signals stay blocked across fork so that no handler of the
  // daemon runs in the child before it resets them.
  sigset_t all_signals, previous;
  ::sigfillset(&all_signals);
  ::pthread_sigmask(SIG_SETMASK, &all_signals, &previous);
  const pid_t pid = ::fork();
  if (pid == 0) exec_child(plan);
  const int fork_error = errno;
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (pid < 0) return make_error(errno_code(fork_error), context + ": fork");

  // The child's exec status: EOF once exec closed the O_CLOEXEC write end,
  // or the stage and errno of its failure. Blocks only until the exec.
  report_write = Fd();
  ChildFailure failure{};
  ssize_t got;
  do {
    got = ::read(report_read.get(), &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  if (got != 0) {
    ::waitpid(pid, nullptr, 0);  // exits at once after the report
    if (got != static_cast<ssize_t>(sizeof failure)) return make_error(errno_code(EPROTO), context);
    const auto stage = static_cast<ChildStage>(failure.stage);
    if (stage == ChildStage::work_dir) return make_error(errno_code(failure.error), context + " in " + work_dir);
    if (stage == ChildStage::setup) return make_error(errno_code(failure.error), context + ": process setup");
    return make_error(errno_code(failure.error), context);
  }

  // The raw system call: glibc 2.36's <sys/pidfd.h> lacks extern "C", so its
  // pidfd_open() does not link from C++. A pidfd is always O_CLOEXEC.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    const int saved = errno;
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);  // just SIGKILLed: returns at once
    return make_error(errno_code(saved), context + ": pidfd_open");
  }
  return std::unique_ptr<ChildProcess>(
      new ChildProcess(std::move(loop), pid, pidfd, out_read.release(), err_read.release()));
  // out_write and err_write close here: the child holds the only write ends,
  // so the reads see EOF once the child and its descendants are gone.
}

ChildProcess::ChildProcess(asio::any_io_executor loop, pid_t pid, int pidfd, int stdout_fd, int stderr_fd)
    : pid_(pid), pidfd_(loop, pidfd), stdout_(loop, stdout_fd), stderr_(loop, stderr_fd) {}

ChildProcess::~ChildProcess() {
  if (reaped_) return;
  ::kill(-pid_, SIGKILL);
  ExitStatus ignored;
  (void)poll_exit(ignored, true);
}

void ChildProcess::signal_group(int signal_number) noexcept {
  if (!reaped_) ::kill(-pid_, signal_number);
}

bool ChildProcess::poll_exit(ExitStatus& status, bool reap) noexcept {
  siginfo_t info{};
  const int flags = WEXITED | WNOHANG | (reap ? 0 : WNOWAIT);
  int rc;
  do {
    rc = ::waitid(P_PID, static_cast<id_t>(pid_), &info, flags);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {  // ECHILD: someone reaped it (SIGCHLD ignored)
    status = ExitStatus{.lost = true};
    reaped_ = true;
    return true;
  }
  if (info.si_pid == 0) return false;  // still running
  if (info.si_code == CLD_EXITED) {
    status = ExitStatus{.exited = true, .code = info.si_status};
  } else {
    status = ExitStatus{.signal = info.si_status};  // CLD_KILLED or CLD_DUMPED
  }
  if (reap) reaped_ = true;
  return true;
}

asio::awaitable<ExitStatus> ChildProcess::wait_exit() {
  ExitStatus status;
  // A pidfd becomes readable when the process exits, and stays so.
  while (!poll_exit(status, false)) {
    co_await pidfd_.async_wait(asio::posix::stream_descriptor::wait_read, asio::use_awaitable);
  }
  if (!reaped_) {
    signal_group(SIGKILL);
    ExitStatus reaped;
    if (poll_exit(reaped, true) && !reaped.lost) status = reaped;
  }
  co_return status;
}

}  // namespace otagw::subdev
