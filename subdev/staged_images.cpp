#include "subdev/staged_images.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <set>

namespace otagw::subdev {
namespace {

struct FileSystemSpace {
  std::uint64_t total = 0;
  std::uint64_t available = 0;

  [[nodiscard]] std::uint64_t reserve() const { return std::min(StagedImages::kMaxFreeSpaceReserve, total / 32); }
};

std::optional<FileSystemSpace> space_of(const std::filesystem::path& dir) {
  struct statvfs vfs{};
  if (::statvfs(dir.c_str(), &vfs) != 0) return std::nullopt;
  return FileSystemSpace{static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize,
                         static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize};
}

std::string mib(std::uint64_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB"; }

}  // namespace

StagedImages::StagedImages(asio::any_io_executor loop, std::filesystem::path cache_dir, std::uint64_t max_bytes)
    : dir_(std::move(cache_dir)), max_bytes_(max_bytes), released_(std::move(loop)) {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::uint64_t StagedImages::new_bytes(const std::vector<JobFile>& files) const {
  std::uint64_t bytes = 0;
  std::set<std::string> counted;
  for (const JobFile& file : files) {
    const auto it = digests_.find(file.sign);
    if ((it == digests_.end() || it->second.holders == 0) && counted.insert(file.sign).second) bytes += file.size;
  }
  return bytes;
}

std::string StagedImages::short_of(std::uint64_t bytes) const {
  if (claimed_bytes_ + bytes > max_bytes_) {
    return "ota.max_staging_bytes: " + mib(claimed_bytes_) + " held by other jobs, " + mib(bytes) + " more needed";
  }
  // The parent of the cache is state_dir: the jobs' files live beside it.
  const auto space = space_of(dir_.parent_path());
  if (space && space->available < bytes + space->reserve()) {
    return "file system short of space: " + mib(space->available) + " free, " + mib(bytes) + " needed";
  }
  return {};
}

asio::awaitable<StagedImages::Claim> StagedImages::reserve(const std::vector<JobFile>& files,
                                                           std::function<void(const std::string&)> on_wait,
                                                           std::string& why) {
  bool told = false;
  for (;;) {
    if (stopping_) co_return Claim::stopped;
    const std::uint64_t bytes = new_bytes(files);
    if (bytes > max_bytes_) {
      why = "package of " + std::to_string(bytes) + " bytes can never fit in ota.max_staging_bytes (" +
            std::to_string(max_bytes_) + ")";
      co_return Claim::never_fits;
    }
    const auto space = space_of(dir_.parent_path());
    if (space && bytes + space->reserve() > space->total) {
      why = "package of " + std::to_string(bytes) + " bytes can never fit on the file system of the state directory";
      co_return Claim::never_fits;
    }
    const std::string short_now = short_of(bytes);
    if (short_now.empty()) {
      claim_present(files);
      co_return Claim::granted;
    }
    if (!told && on_wait) on_wait(short_now);
    told = true;
    // A release wakes the claim; free space also changes without one (logs,
    // other programs), so it is looked at again now and then.
    (void)co_await released_.wait_for(std::chrono::seconds(5));
  }
}

void StagedImages::claim_present(const std::vector<JobFile>& files) {
  for (const JobFile& file : files) {
    Digest& digest = digests_[file.sign];
    if (digest.holders++ == 0) {
      digest.bytes = file.size;
      claimed_bytes_ += file.size;
    }
  }
}

void StagedImages::release(const std::vector<JobFile>& files) {
  for (const JobFile& file : files) {
    const auto it = digests_.find(file.sign);
    if (it == digests_.end() || it->second.holders == 0) continue;
    if (--it->second.holders > 0) continue;
    claimed_bytes_ -= it->second.bytes;
    digests_.erase(it);
    std::error_code ignored;
    std::filesystem::remove(dir_ / file.sign, ignored);
  }
  if (digests_.empty()) {
    std::error_code ignored;
    std::filesystem::remove(dir_, ignored);  // only when empty: nothing is left behind
  }
  released_.notify_all();
}

bool StagedImages::link_shared(const JobFile& file, const std::filesystem::path& path) const {
  std::error_code ec;
  const auto shared = dir_ / file.sign;
  if (!std::filesystem::exists(shared, ec) || std::filesystem::file_size(shared, ec) != file.size || ec) return false;
  std::filesystem::remove(path, ec);
  std::filesystem::create_hard_link(shared, path, ec);
  return !ec;
}

void StagedImages::share_verified(const JobFile& file, const std::filesystem::path& path) {
  std::error_code ignored;
  std::filesystem::create_directories(dir_, ignored);
  const auto shared = dir_ / file.sign;
  if (!std::filesystem::exists(shared, ignored)) std::filesystem::create_hard_link(path, shared, ignored);
}

void StagedImages::discard(const std::string& sign) {
  std::error_code ignored;
  std::filesystem::remove(dir_ / sign, ignored);
}

void StagedImages::set_max_bytes(std::uint64_t max_bytes) {
  max_bytes_ = max_bytes;
  released_.notify_all();
}

void StagedImages::stop() {
  stopping_ = true;
  released_.notify_all();
}

}  // namespace otagw::subdev
