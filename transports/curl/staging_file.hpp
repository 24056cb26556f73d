#pragma once
// The staging file of a download, and the blocking steps on it (run them on
// the blocking-call pool, never on the loop).
//
// The descriptor is shared: a pool job (truncate, fsync) keeps the file open
// even if the download is cancelled meanwhile, so the number is never closed
// and reused under it.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <system_error>

#include "transports/digest.hpp"
#include "transports/result.hpp"

namespace otagw::transports::curl {

class FileHandle {
 public:
  explicit FileHandle(int fd) noexcept : fd_(fd) {}
  ~FileHandle();
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

struct StagingFile {
  std::shared_ptr<FileHandle> handle;
  Digest digest;           // of the bytes already in the file
  std::uint64_t size = 0;  // bytes already in the file
  bool discarded = false;  // it held more than the limit and was emptied
};

// Opens (creating it 0600) and re-hashes what is there; empties a file longer
// than `limit` (0 = none), which cannot be a prefix of the image.
[[nodiscard]] Expected<StagingFile> open_staging_file(const std::filesystem::path& path, DigestMethod method,
                                                      std::uint64_t limit);

[[nodiscard]] std::error_code truncate_to_zero(int fd);

// Makes the file's contents durable (fsync), so what the caller verifies and
// flashes is what survives a power loss.
[[nodiscard]] std::error_code sync_file(int fd);

// Writes all of `data` at `offset` (pwrite: no shared file position).
[[nodiscard]] std::error_code write_at(int fd, const char* data, std::size_t size, std::uint64_t offset);

}  // namespace otagw::transports::curl
