#include "daemon/state_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>
#include <utility>

namespace otagw::daemon {
namespace {

Unexpected errno_error(const std::string& context) {
  return make_error(std::error_code(errno, std::generic_category()), context);
}

// The holder writes its pid right after locking, so an empty file is a
// holder between flock and write (or one that could not write): "unknown".
std::string read_holder_pid(int fd) {
  std::array<char, 32> buffer{};
  const ssize_t n = ::pread(fd, buffer.data(), buffer.size() - 1, 0);
  if (n <= 0) return {};
  std::string text(buffer.data(), static_cast<std::size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (const char c : text)
    if (c < '0' || c > '9') return {};
  return text;
}

bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::pwrite(fd, text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) {
      errno = ENOSPC;  // no progress and no errno: the disk took nothing more
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

Expected<StateDirLock> StateDirLock::acquire(const std::filesystem::path& state_dir) {
  const auto path = state_dir / "lock";
  // O_NOFOLLOW: the lock is ours to create, never something a link points at.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return errno_error("ota.state_dir " + state_dir.string() + ": cannot open " + path.string());
  StateDirLock lock(fd);
  int rc = 0;
  do rc = ::flock(fd, LOCK_EX | LOCK_NB);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    if (errno != EWOULDBLOCK) return errno_error("ota.state_dir " + state_dir.string() + ": cannot lock " + path.string());
    const std::string pid = read_holder_pid(fd);
    return make_error(std::make_error_code(std::errc::resource_unavailable_try_again),
                      "ota.state_dir " + state_dir.string() + " is in use by otagwd pid " +
                          (pid.empty() ? std::string("unknown") : pid) + " (lock " + path.string() +
                          "): stop it first; `--once` beside the service is not supported");
  }
  // Truncate first: a longer pid left by an earlier holder must not show through.
  if (::ftruncate(fd, 0) != 0 || !write_all(fd, std::to_string(::getpid()) + "\n"))
    return errno_error("ota.state_dir " + state_dir.string() + ": cannot write the pid to " + path.string());
  return lock;
}

StateDirLock::StateDirLock(StateDirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

StateDirLock& StateDirLock::operator=(StateDirLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

// The lock file stays: removing it would let a third daemon lock a new inode
// while a second still holds the old one.
StateDirLock::~StateDirLock() {
  if (fd_ >= 0) ::close(fd_);
}

Expected<void> probe_writable(const std::filesystem::path& dir) {
  const std::string context = "ota.state_dir " + dir.string() + " does not take writes";
  std::string name = (dir / ".write-probe-XXXXXX").string();
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return errno_error(context + ": cannot create a file in it");
  auto fail = [&](const char* what) {
    const int saved = errno;
    ::close(fd);
    ::unlink(name.c_str());
    errno = saved;
    return errno_error(context + ": " + what + " " + name);
  };
  // One page: a full disk refuses it where a single byte might fit in a
  // partly used block.
  if (!write_all(fd, std::string(4096, 'p'))) return fail("cannot write");
  if (::fsync(fd) != 0) return fail("cannot fsync");
  if (::close(fd) != 0) {
    const int saved = errno;
    ::unlink(name.c_str());
    errno = saved;
    return errno_error(context + ": cannot close " + name);
  }
  if (::unlink(name.c_str()) != 0) return errno_error(context + ": cannot remove " + name);
  return {};
}

}  // namespace otagw::daemon
