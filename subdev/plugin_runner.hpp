#pragma once
// Runs one configured plugin (docs/plugins.md) for the daemon: `flash` and
// `version` as child processes watched by the loop, never blocking it.
//
// An exec plugin is run as `PATH flash|version`; a library plugin as
// `otagw-plugin-host --library PATH flash|version`, so a crash or hang in
// vendor code costs one failed flash, never the daemon. Both get the same
// environment (plugin_environment.hpp), stdin /dev/null, their own process
// group, the job's work_dir as working directory, and the same limits:
// at timeout_s (version_timeout_s) SIGTERM to the whole group, SIGKILL 5 s
// later; when the plugin exits, whatever is left in its group is SIGKILLed.
//
// Output: stdout lines "progress N" (0..100) go to the flash's progress
// callback, other stdout lines to the log at debug level; stderr lines to the
// log at info level, as "{pk}.{dn}: plugin {name}: {line}". Lines are cut at
// 4 KiB, and about 256 KiB per stream and run are logged (a line counts 64
// bytes more than its length); the rest is read and dropped, so a chatty
// plugin never stalls on a full pipe.
//
// Threading: call on the loop's thread. Several flashes and queries may run
// at once (one process each). The runner must outlive every coroutine it
// returned. No coroutine here throws for plugin or process failures.
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "subdev/plugin_environment.hpp"
#include "subdev/plugin_job.hpp"
#include "subdev/plugin_run_records.hpp"
#include "subdev/supervised_process.hpp"
#include "transports/asio.hpp"

namespace otagw::subdev {

struct FlashOutcome {
  bool flashed = false;  // the plugin exited 0 within timeout_s
  // Why not (or "exit 0"): "exit 3", "killed by signal 11", "timed out after
  // 600 s", "cannot start /path: No such file or directory", "no image",
  // "stopping".
  std::string detail;
  int last_progress = -1;  // the last "progress N" the plugin printed; -1 = none
};

class PluginRunner {
 public:
  // `plugin_host`: the path of otagw-plugin-host, used for library plugins.
  // `records` (may be null; must outlive the runner): where each run is
  // recorded while it lasts, for a restarted daemon to end what is left.
  PluginRunner(asio::any_io_executor loop, config::PluginConfig plugin, std::filesystem::path plugin_host,
               PluginRunRecords* records = nullptr);

  // Runs `flash` for `job` (job.image or job.image_dir must be set).
  // `on_progress` (may be empty) is called on the loop with each new
  // progress value, in the order printed; it must not throw (a throw is
  // logged and ignored). Completes when the plugin process is gone.
  asio::awaitable<FlashOutcome> flash(PluginJob job, std::function<void(int)> on_progress);

  // Runs `version`: the first stdout line, trimmed, when the plugin exits 0
  // within version_timeout_s and that line is a valid version (1..32
  // printable characters, no whitespace). nullopt = the plugin cannot tell,
  // not an error. job.image and job.image_dir are ignored.
  asio::awaitable<std::optional<std::string>> version(PluginJob job);

  // Refuses new work from now on (flash: not flashed, detail "stopping";
  // version: nullopt) and lets runs in progress finish. For SIGTERM.
  void stop() noexcept { stopping_ = true; }
  [[nodiscard]] bool stopping() const noexcept { return stopping_; }
  // Plugin processes of this runner that have not finished yet.
  [[nodiscard]] int running() const noexcept { return running_; }

  [[nodiscard]] const config::PluginConfig& plugin() const noexcept { return plugin_; }

 private:
  struct RunGuard;

  // Runs `run` for `job`, recorded in records_ while it lasts.
  asio::awaitable<SupervisedExit> run_recorded(const PluginJob& job, PluginCommand command, SupervisedRun run);

  asio::any_io_executor loop_;
  config::PluginConfig plugin_;
  std::filesystem::path plugin_host_;
  PluginRunRecords* records_;
  bool stopping_ = false;
  int running_ = 0;
};

}  // namespace otagw::subdev
