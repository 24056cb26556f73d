#pragma once
// The file being read: where its errors go and what its relative paths are
// relative to. One per YAML file (the main config, each subdevices_dir file).
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/error_sink.hpp"
#include "config/load.hpp"

namespace otagw::config::detail {

class SourceContext final : public ErrorSink {
 public:
  // `errors` is shared by all files of one load and must outlive this object.
  // `on_disk`: `file` is the real file the text came from (not a name for
  // text given as a string), so who may read it can be checked.
  SourceContext(std::filesystem::path file, std::filesystem::path base_dir, std::vector<ConfigError>& errors,
                bool on_disk = false)
      : file_(std::make_shared<const std::filesystem::path>(std::move(file))),
        base_dir_(std::move(base_dir)), errors_(&errors), on_disk_(on_disk) {}

  void error(std::string key_path, int line, std::string message) override {
    errors_->push_back(ConfigError{*file_, std::move(key_path), line, std::move(message)});
  }

  [[nodiscard]] const std::filesystem::path& file() const noexcept { return *file_; }
  // The same path, for what keeps it after the load (SubdeviceConfig::source_file).
  [[nodiscard]] const std::shared_ptr<const std::filesystem::path>& shared_file() const noexcept { return file_; }
  [[nodiscard]] bool on_disk() const noexcept { return on_disk_; }

  // True the first time only: a file holding inline secrets is checked (and
  // reported) once, not once per device.
  [[nodiscard]] bool first_inline_secret() noexcept { return !std::exchange(inline_secret_seen_, true); }

  // `value` as is when absolute, else against the directory of this file.
  [[nodiscard]] std::filesystem::path resolve(const std::filesystem::path& value) const {
    return value.is_absolute() ? value.lexically_normal() : (base_dir_ / value).lexically_normal();
  }

 private:
  std::shared_ptr<const std::filesystem::path> file_;  // never null
  std::filesystem::path base_dir_;
  std::vector<ConfigError>* errors_;
  bool on_disk_;
  bool inline_secret_seen_ = false;
};

}  // namespace otagw::config::detail
