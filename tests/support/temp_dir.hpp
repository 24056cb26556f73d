#pragma once
// A fresh directory under the system temp dir, removed with its contents.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

namespace otagw::test_support {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "otagw-test") {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

// Only the owner may read or write `path` (0600): otagwd refuses a config
// holding secrets that others can read.
inline void make_private(const std::filesystem::path& path) {
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

}  // namespace otagw::test_support
