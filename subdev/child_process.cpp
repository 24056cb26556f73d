#include "subdev/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
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

// posix_spawn's C structures, destroyed on every path.
struct SpawnAttributes {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  SpawnAttributes() {
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawnattr_init(&attributes);
  }
  ~SpawnAttributes() {
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attributes);
  }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
};

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

Expected<std::unique_ptr<ChildProcess>> ChildProcess::spawn(asio::any_io_executor loop, const SpawnOptions& options) {
  if (options.argv.empty()) return make_error(errno_code(EINVAL), "spawn: empty argv");
  const std::string context = "cannot start " + options.argv.front();

  Fd out_read, out_write, err_read, err_write;
  if (auto ec = make_pipe(out_read, out_write)) return make_error(ec, context + ": pipe");
  if (auto ec = make_pipe(err_read, err_write)) return make_error(ec, context + ": pipe");

  SpawnAttributes spawn;
  // Order matters: chdir first so a bad work_dir fails the spawn; the dup2s
  // clear O_CLOEXEC on 1 and 2; closefrom drops whatever a library of ours
  // opened without O_CLOEXEC.
  int rc = 0;
  if (!options.work_dir.empty()) rc = ::posix_spawn_file_actions_addchdir_np(&spawn.actions, options.work_dir.c_str());
  if (rc == 0) rc = ::posix_spawn_file_actions_addopen(&spawn.actions, 0, "/dev/null", O_RDONLY, 0);
  if (rc == 0) rc = ::posix_spawn_file_actions_adddup2(&spawn.actions, out_write.get(), 1);
  if (rc == 0) rc = ::posix_spawn_file_actions_adddup2(&spawn.actions, err_write.get(), 2);
  if (rc == 0) rc = ::posix_spawn_file_actions_addclosefrom_np(&spawn.actions, 3);

  // Own process group (pgid = pid), so a time-out can signal the plugin and
  // everything it started; default dispositions and an empty mask, since
  // ignored signals and the mask survive exec.
  sigset_t all_signals, no_signals;
  ::sigfillset(&all_signals);
  ::sigemptyset(&no_signals);
  if (rc == 0) rc = ::posix_spawnattr_setpgroup(&spawn.attributes, 0);
  if (rc == 0) rc = ::posix_spawnattr_setsigdefault(&spawn.attributes, &all_signals);
  if (rc == 0) rc = ::posix_spawnattr_setsigmask(&spawn.attributes, &no_signals);
  if (rc == 0) {
    rc = ::posix_spawnattr_setflags(&spawn.attributes,
                                    POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  }
  if (rc != 0) return make_error(errno_code(rc), context + ": posix_spawn setup");

  auto argv = c_strings(options.argv);
  auto envp = c_strings(options.environment);
  pid_t pid = -1;
  // glibc's posix_spawn uses CLONE_VFORK and reports exec and file-action
  // failures (ENOENT, EACCES, a missing work_dir) here, not as exit 127.
  rc = ::posix_spawn(&pid, argv.front(), &spawn.actions, &spawn.attributes, argv.data(), envp.data());
  if (rc != 0) {
    const std::string where = options.work_dir.empty() ? context : context + " in " + options.work_dir.string();
    return make_error(errno_code(rc), where);
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
