#pragma once
// Shared by the plugin tests: a loop, a temp dir with a job's work dir and
// image, plugin configs, blocking wrappers around PluginRunner (each with a
// hard time-out), a log capture, and process checks.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "config/config.hpp"
#include "subdev/plugin_runner.hpp"
#include "tests/support/temp_dir.hpp"
#include "transports/asio.hpp"

namespace otagw::plugin_tests {

// A test script under tests/plugins/scripts.
[[nodiscard]] std::filesystem::path script(const std::string& name);

[[nodiscard]] config::PluginConfig exec_plugin(const std::filesystem::path& path, int timeout_s = 20,
                                               int version_timeout_s = 20);
[[nodiscard]] config::PluginConfig library_plugin(const std::filesystem::path& path, int timeout_s = 20,
                                                  int version_timeout_s = 20);

struct FlashRun {
  subdev::FlashOutcome outcome;
  std::vector<int> progress;  // every value the callback got
  std::chrono::steady_clock::duration took{};
};

class PluginFixture {
 public:
  PluginFixture();

  // A flash job for "a1PK.sensor-1" (module mcu, 1.0.0 -> 2.0.0, a delta) with
  // an existing work_dir and a 200 000-byte random image.
  subdev::PluginJob job;
  [[nodiscard]] const std::filesystem::path& dir() const { return temp_.path(); }
  [[nodiscard]] std::string image_bytes() const;

  FlashRun flash(const config::PluginConfig& plugin, const subdev::PluginJob& with_job);
  FlashRun flash(const config::PluginConfig& plugin) { return flash(plugin, job); }
  std::optional<std::string> version(const config::PluginConfig& plugin, const subdev::PluginJob& with_job);
  std::optional<std::string> version(const config::PluginConfig& plugin) { return version(plugin, job); }

  asio::io_context io;

 private:
  test_support::TempDir temp_{"otagw-plugin-test"};
};

// Routes spdlog's default logger (debug level) into a string while alive.
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  [[nodiscard]] std::string text() const { return stream_.str(); }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::logger> previous_;
};

[[nodiscard]] std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& bytes);

// "NAME=value" lines (and "NAME unset") of dump_env.sh's output.
[[nodiscard]] std::map<std::string, std::string> read_env_dump(const std::filesystem::path& path);

// True once `pid` is gone or a zombie (its parent may not have reaped it
// yet), polling for up to `within`.
[[nodiscard]] bool process_gone(pid_t pid, std::chrono::milliseconds within = std::chrono::seconds(3));

}  // namespace otagw::plugin_tests
