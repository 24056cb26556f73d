#include "config/text_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace otagw::config::detail {

namespace {

std::string errno_text() { return std::error_code(errno, std::generic_category()).message(); }

// Owns a file descriptor for the length of one read.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// O_NONBLOCK so opening a FIFO cannot block; it is then refused as not regular.
Fd open_regular(const std::filesystem::path& path, std::string& error) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) {
    error = errno_text();
    return fd;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    error = errno_text();
  } else if (!S_ISREG(st.st_mode)) {
    error = S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file";
  }
  return fd;
}

}  // namespace

FileText read_text_file(const std::filesystem::path& path, std::size_t max_bytes) {
  FileText result;
  const Fd fd = open_regular(path, result.error);
  if (!result.error.empty()) return result;
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      result.error = errno_text();
      break;
    }
    if (n == 0) break;
    result.text.append(buffer, static_cast<std::size_t>(n));
    if (result.text.size() > max_bytes) {
      result.error = "larger than " + std::to_string(max_bytes) + " bytes";
      break;
    }
  }
  if (!result.error.empty()) result.text.clear();
  return result;
}

std::string check_readable_file(const std::filesystem::path& path) {
  std::string error;
  const Fd fd = open_regular(path, error);
  return error;
}

}  // namespace otagw::config::detail
