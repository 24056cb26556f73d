#include "transports/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace otagw::transports {
namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  // close() can report a deferred write error (NFS, quota): it must be checked.
  std::error_code close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0 ? std::error_code{} : last_error();
  }

 private:
  int fd_;
};

std::error_code write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

}  // namespace

std::error_code write_file_atomically(const std::filesystem::path& path, std::string_view contents, mode_t mode) {
  const std::filesystem::path directory = path.has_parent_path() ? path.parent_path() : ".";
  const std::filesystem::path temp = path.string() + ".tmp";

  FileDescriptor file(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (file.get() < 0) return last_error();
  // open() keeps the mode of a temp file left by a crash, and the umask cuts
  // the one it creates: set it outright, before any byte is written.
  if (::fchmod(file.get(), mode) != 0) {
    auto ec = last_error();
    ::unlink(temp.c_str());
    return ec;
  }
  if (auto ec = write_all(file.get(), contents)) {
    ::unlink(temp.c_str());
    return ec;
  }
  if (::fsync(file.get()) != 0) {
    auto ec = last_error();
    ::unlink(temp.c_str());
    return ec;
  }
  if (auto ec = file.close()) {
    ::unlink(temp.c_str());
    return ec;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    auto ec = last_error();
    ::unlink(temp.c_str());
    return ec;
  }
  FileDescriptor dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return last_error();
  if (::fsync(dir.get()) != 0) return last_error();
  return {};
}

}  // namespace otagw::transports
