#include "subdev/plugin_runner.hpp"

#include <unistd.h>

#include <exception>

#include <spdlog/spdlog.h>

#include "subdev/plugin_environment.hpp"
#include "subdev/plugin_output.hpp"
#include "subdev/supervised_process.hpp"
#include "transports/device_log.hpp"

namespace otagw::subdev {
namespace {

constexpr std::size_t kLogBudget = 256 * 1024;  // per stream and run
constexpr auto kTermGrace = std::chrono::seconds(5);

std::string seconds_text(int seconds) { return std::to_string(seconds) + " s"; }

}  // namespace

// Counts a run in progress for running(), also when the coroutine is
// destroyed mid-run.
struct PluginRunner::RunGuard {
  explicit RunGuard(int& counter) : count(counter) { ++count; }
  ~RunGuard() { --count; }
  RunGuard(const RunGuard&) = delete;
  RunGuard& operator=(const RunGuard&) = delete;
  int& count;
};

PluginRunner::PluginRunner(asio::any_io_executor loop, config::PluginConfig plugin, std::filesystem::path plugin_host,
                           PluginRunRecords* records)
    : loop_(std::move(loop)), plugin_(std::move(plugin)), plugin_host_(std::move(plugin_host)), records_(records) {}

asio::awaitable<SupervisedExit> PluginRunner::run_recorded(const PluginJob& job, PluginCommand command,
                                                           SupervisedRun run) {
  if (records_ == nullptr) co_return co_await run_supervised(loop_, std::move(run));
  pid_t group = 0;
  run.on_spawned = [this, &group, &job, command](pid_t pid) {
    group = pid;
    records_->started(pid, job.display_name(), command_name(command));
  };
  SupervisedExit ended = co_await run_supervised(loop_, std::move(run));
  // run_supervised returns once the child was reaped and its group killed.
  if (group != 0) records_->ended(group);
  co_return ended;
}

namespace {

SupervisedRun make_run(const config::PluginConfig& plugin, const std::filesystem::path& host, const PluginJob& job,
                       PluginCommand command, int timeout_s) {
  SupervisedRun run;
  if (plugin.kind == config::PluginConfig::Kind::library) {
    run.spawn.argv = {host.string(), "--library", plugin.path.string(), command_name(command)};
  } else {
    run.spawn.argv = {plugin.path.string(), command_name(command)};
  }
  run.spawn.environment = plugin_environment(job, command, environ);
  run.spawn.work_dir = job.work_dir;
  run.timeout = std::chrono::seconds(timeout_s);
  run.term_grace = kTermGrace;
  run.max_line = kMaxOutputLine;
  return run;
}

std::string log_prefix(const PluginJob& job, const config::PluginConfig& plugin) {
  return job.display_name() + ": plugin " + plugin.name;
}

}  // namespace

asio::awaitable<FlashOutcome> PluginRunner::flash(PluginJob job, std::function<void(int)> on_progress) {
  FlashOutcome outcome;
  if (stopping_) {
    outcome.detail = "stopping";
    co_return outcome;
  }
  if (job.image.empty() && job.image_dir.empty()) {
    outcome.detail = "no image";
    co_return outcome;
  }
  RunGuard guard(running_);
  const std::string prefix = log_prefix(job, plugin_);
  device_log::info(job.display_name(), job.target_version, "{}: flashing version {}", prefix, job.target_version);

  SupervisedRun run = make_run(plugin_, plugin_host_, job, PluginCommand::flash, plugin_.timeout_s);
  // The handlers run inside the co_await below, while this frame is alive.
  auto on_stdout = [&outcome, &on_progress, &prefix, &job,
                    log = OutputLog(prefix, "stdout", OutputLog::Level::debug, kLogBudget, job.display_name(),
                                    job.target_version)](
                       std::string_view line, bool truncated) mutable {
    const auto progress = truncated ? std::nullopt : parse_progress(line);
    if (!progress) {
      log.write(line, truncated);
      return;
    }
    if (*progress == outcome.last_progress) return;
    outcome.last_progress = *progress;
    if (!on_progress) return;
    try {
      on_progress(*progress);
    } catch (const std::exception& e) {
      device_log::error(job.display_name(), job.target_version, "{}: progress callback failed: {}", prefix, e.what());
    }
  };
  auto on_stderr = [log = OutputLog(prefix, "stderr", OutputLog::Level::info, kLogBudget, job.display_name(),
                                    job.target_version)](
                       std::string_view line, bool truncated) mutable { log.write(line, truncated); };
  run.on_stdout = on_stdout;
  run.on_stderr = on_stderr;

  SupervisedExit ended = co_await run_recorded(job, PluginCommand::flash, std::move(run));
  if (!ended.status) {
    outcome.detail = ended.start_error;
  } else if (ended.timed_out) {
    outcome.detail = "timed out after " + seconds_text(plugin_.timeout_s);
  } else {
    outcome.flashed = ended.status->success();
    outcome.detail = ended.status->describe();
  }
  if (outcome.flashed) {
    device_log::info(job.display_name(), job.target_version, "{}: flashed version {}", prefix, job.target_version);
  } else {
    device_log::warn(job.display_name(), job.target_version, "{}: flash failed: {}", prefix, outcome.detail);
  }
  co_return outcome;
}

asio::awaitable<std::optional<std::string>> PluginRunner::version(PluginJob job) {
  if (stopping_) co_return std::nullopt;
  RunGuard guard(running_);
  const std::string prefix = log_prefix(job, plugin_);

  SupervisedRun run = make_run(plugin_, plugin_host_, job, PluginCommand::version, plugin_.version_timeout_s);
  std::optional<std::string> answer;
  bool first_line = true;
  auto on_stdout = [&answer, &first_line,
                    log = OutputLog(prefix, "stdout", OutputLog::Level::debug, kLogBudget, job.display_name(),
                                    job.target_version)](
                       std::string_view line, bool truncated) mutable {
    if (std::exchange(first_line, false) && !truncated) answer = parse_version(line);
    log.write(line, truncated);
  };
  auto on_stderr = [log = OutputLog(prefix, "stderr", OutputLog::Level::info, kLogBudget, job.display_name(),
                                    job.target_version)](
                       std::string_view line, bool truncated) mutable { log.write(line, truncated); };
  run.on_stdout = on_stdout;
  run.on_stderr = on_stderr;

  SupervisedExit ended = co_await run_recorded(job, PluginCommand::version, std::move(run));
  std::string why;
  if (!ended.status) {
    why = ended.start_error;
  } else if (ended.timed_out) {
    why = "timed out after " + seconds_text(plugin_.version_timeout_s);
  } else if (!ended.status->success()) {
    why = ended.status->describe();
  } else if (!answer) {
    why = "first line of stdout is not a version";
  }
  if (!why.empty()) {
    // A plugin that cannot be started is a configuration problem worth a
    // warning; one that cannot tell is normal.
    if (!ended.status) {
      device_log::warn(job.display_name(), job.target_version, "{}: cannot tell the version: {}", prefix, why);
    } else {
      device_log::debug(job.display_name(), job.target_version, "{}: cannot tell the version: {}", prefix, why);
    }
    co_return std::nullopt;
  }
  co_return answer;
}

}  // namespace otagw::subdev
