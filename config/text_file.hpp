#pragma once
// Small whole-file reads for the config, secret files and CA files. Failures
// come back as a reason for an error message, never as an exception.
#include <cstddef>
#include <filesystem>
#include <string>

namespace otagw::config::detail {

// Far above any real config (2000 sub-devices take about 400 KiB); a bigger
// file is a wrong path.
inline constexpr std::size_t kMaxConfigFileBytes = 16 * 1024 * 1024;

struct FileText {
  std::string text;
  std::string error;  // empty on success, else e.g. "No such file or directory"
};

// Reads a regular file of at most `max_bytes` bytes. FIFOs, devices and
// directories are refused (reading /dev/zero as a secret must not hang).
[[nodiscard]] FileText read_text_file(const std::filesystem::path& path, std::size_t max_bytes);

// Empty when `path` is a regular file this process can open for reading, else
// the reason.
[[nodiscard]] std::string check_readable_file(const std::filesystem::path& path);

}  // namespace otagw::config::detail
