#pragma once
// Helpers for the config tests: a scratch directory, loading YAML text from
// it, and finding an error by key path.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>

#include "config/load.hpp"

namespace otagw::config::test {

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<unsigned> counter{0};
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() / ("otagw-config-test-" + std::to_string(::getpid()) + "-" +
                                                      std::to_string(counter++) + "-" + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  // Writes `text` to `name` (relative to the directory, parents created).
  std::filesystem::path write(const std::filesystem::path& name, std::string_view text) const {
    const std::filesystem::path file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    {
      std::ofstream out(file, std::ios::binary);
      out << text;
    }
    // Private, as otagwd wants a file that may hold secrets.
    std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return file;
  }

 private:
  std::filesystem::path path_;
};

// The gateway section every valid test config starts with.
inline constexpr std::string_view kGateway =
    "gateway:\n"
    "  product_key: a1GwProd01\n"
    "  device_name: gw-0001\n"
    "  device_secret: gw-secret\n";

// A sub-device list item (indented for `subdevices:`), varying the name.
inline std::string subdevice_item(const std::string& device_name, const std::string& plugin = "copy",
                                  const std::string& indent = "  ") {
  return indent + "- product_key: a1SubProd1\n" + indent + "  device_name: " + device_name + "\n" + indent +
         "  device_secret: s\n" + indent + "  version: \"1.0\"\n" + indent + "  plugin: " + plugin + "\n";
}

inline constexpr std::string_view kCopyPlugin =
    "plugins:\n"
    "  copy:\n"
    "    exec: /usr/libexec/otagw/plugins/file-copy\n";

// The first error at `key_path`, or nullptr.
inline const ConfigError* find_error(const LoadResult& result, std::string_view key_path) {
  for (const ConfigError& error : result.errors) {
    if (error.key_path == key_path) return &error;
  }
  return nullptr;
}

// Every error as text, one per line, for failure messages and leak checks.
inline std::string all_errors(const LoadResult& result, const std::filesystem::path& main_file = "test.yaml") {
  std::string text;
  for (const ConfigError& error : result.errors) text += error.to_string(main_file) + "\n";
  return text;
}

}  // namespace otagw::config::test
