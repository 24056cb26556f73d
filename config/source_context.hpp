#pragma once
// The file being read: where its errors go and what its relative paths are
// relative to. One per YAML file (the main config, each subdevices_dir file).
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "config/load.hpp"

namespace otagw::config::detail {

class SourceContext {
 public:
  // `errors` is shared by all files of one load and must outlive this object.
  SourceContext(std::filesystem::path file, std::filesystem::path base_dir, std::vector<ConfigError>& errors)
      : file_(std::move(file)), base_dir_(std::move(base_dir)), errors_(&errors) {}

  void error(std::string key_path, int line, std::string message) {
    errors_->push_back(ConfigError{file_, std::move(key_path), line, std::move(message)});
  }

  [[nodiscard]] const std::filesystem::path& file() const noexcept { return file_; }

  // `value` as is when absolute, else against the directory of this file.
  [[nodiscard]] std::filesystem::path resolve(const std::filesystem::path& value) const {
    return value.is_absolute() ? value.lexically_normal() : (base_dir_ / value).lexically_normal();
  }

 private:
  std::filesystem::path file_;
  std::filesystem::path base_dir_;
  std::vector<ConfigError>* errors_;
};

}  // namespace otagw::config::detail
