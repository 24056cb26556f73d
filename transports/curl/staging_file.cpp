#include "transports/curl/staging_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace otagw::transports::curl {
namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

}  // namespace

FileHandle::~FileHandle() {
  if (fd_ >= 0) ::close(fd_);
}

Expected<StagingFile> open_staging_file(const std::filesystem::path& path, DigestMethod method, std::uint64_t limit) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(last_error(), "open " + path.string());
  StagingFile file{std::make_shared<FileHandle>(fd), Digest(method)};
  struct stat info {};
  if (::fstat(fd, &info) != 0) return make_error(last_error(), "stat " + path.string());
  file.size = static_cast<std::uint64_t>(info.st_size);
  if (limit != 0 && file.size > limit) {
    if (auto ec = truncate_to_zero(fd)) return make_error(ec, "truncate " + path.string());
    file.size = 0;
    file.discarded = true;
  }
  if (auto ec = hash_file_prefix(fd, file.size, file.digest)) return make_error(ec, "read " + path.string());
  return file;
}

std::error_code truncate_to_zero(int fd) { return ::ftruncate(fd, 0) == 0 ? std::error_code{} : last_error(); }

std::error_code sync_file(int fd) { return ::fsync(fd) == 0 ? std::error_code{} : last_error(); }

std::error_code write_at(int fd, const char* data, std::size_t size, std::uint64_t offset) {
  while (size > 0) {
    const ssize_t written = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (written < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    data += written;
    size -= static_cast<std::size_t>(written);
    offset += static_cast<std::uint64_t>(written);
  }
  return {};
}

}  // namespace otagw::transports::curl
