#pragma once
// Firmware images on the gateway's disk, counted by digest: what jobs in
// flight have downloaded or are downloading, and the verified images they
// share. Identical packages (same digest) are stored and counted once.
//
// - reserve(): a job claims room for its files before it downloads, within
//   ota.max_staging_bytes and the file system's free space. A claim that can
//   never fit fails at once; one that does not fit now waits until jobs let
//   go of theirs.
// - A verified file becomes the shared image for its digest
//   (state_dir/cache/<digest>, a hard link to the job's own file); a later job
//   of the same digest links it instead of downloading again.
// - release(): a job that ended lets go of its digests; the shared image of a
//   digest no job needs any more is removed.
//
// Loop thread only.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "subdev/job_journal.hpp"
#include "transports/async_signal.hpp"

namespace otagw::subdev {

class StagedImages {
 public:
  // Room kept free on the file system beyond what the jobs claim, so the
  // journal, the state file and the log stay writable: 1/32 of the file
  // system, at most this.
  static constexpr std::uint64_t kMaxFreeSpaceReserve = 16ull << 20;

  // `cache_dir` is emptied: at start-up no job holds anything.
  StagedImages(asio::any_io_executor loop, std::filesystem::path cache_dir, std::uint64_t max_bytes);

  enum class Claim { granted, never_fits, stopped };

  // Claims the digests of `files` for a job: those no other job holds yet
  // count with their size. Waits while they do not fit; `on_wait` (may be
  // empty) hears why, once. `why` says why a claim can never fit.
  asio::awaitable<Claim> reserve(const std::vector<JobFile>& files, std::function<void(const std::string&)> on_wait,
                                 std::string& why);
  // A job resumed after a restart: its bytes are on disk already, so they
  // count at once, whatever the limit says now.
  void claim_present(const std::vector<JobFile>& files);
  // The job has ended: its claims go; images no job needs are removed.
  void release(const std::vector<JobFile>& files);

  // Links the shared image of `file` to `path` when there is one of its size.
  [[nodiscard]] bool link_shared(const JobFile& file, const std::filesystem::path& path) const;
  // A verified file becomes its digest's shared image (unless there is one).
  void share_verified(const JobFile& file, const std::filesystem::path& path);
  // The shared image failed verification: it goes.
  void discard(const std::string& sign);

  void set_max_bytes(std::uint64_t max_bytes);
  [[nodiscard]] std::uint64_t claimed_bytes() const noexcept { return claimed_bytes_; }
  // Wakes every waiting claim with `stopped`.
  void stop();

 private:
  struct Digest {
    int holders = 0;
    std::uint64_t bytes = 0;
  };

  // Bytes a claim for `files` adds (digests nobody holds, counted once).
  [[nodiscard]] std::uint64_t new_bytes(const std::vector<JobFile>& files) const;
  // Why `bytes` do not fit now ("" = they do).
  [[nodiscard]] std::string short_of(std::uint64_t bytes) const;

  std::filesystem::path dir_;
  std::uint64_t max_bytes_;
  std::uint64_t claimed_bytes_ = 0;
  std::map<std::string, Digest> digests_;
  transports::AsyncSignal released_;
  bool stopping_ = false;
};

}  // namespace otagw::subdev
