#pragma once
// Firmware jobs: an accepted offer becomes a job that runs on its own while
// the OTA channel goes on to the next device, and ends with the new version
// installed and reported, or with the right failure step reported, and never
// with a bad image flashed. A job, top to bottom (run_job):
//
//   plan (job_plan.hpp) -> journal "downloading" -> room for its images
//   (staged_images.hpp) -> fetch them: a download slot, shared by digest,
//   resumable, hashed while streaming, retried (image_fetcher.hpp) -> journal
//   "verified" -> its flash window, then its bus (job_scheduler.hpp) ->
//   install: verify kept bytes, the plugin, confirm, report (image_installer.hpp)
//
// Jobs of devices on different buses flash at the same time; on one bus one
// after the other. A lost MQTT session does not stop a download or a flash;
// the reports wait for the session and the device's login.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "subdev/cloud_rpc.hpp"
#include "subdev/device_state.hpp"
#include "subdev/firmware_offer.hpp"
#include "subdev/flash_window_clock.hpp"
#include "subdev/fleet_status.hpp"
#include "subdev/image_fetcher.hpp"
#include "subdev/image_installer.hpp"
#include "subdev/job_journal.hpp"
#include "subdev/job_scheduler.hpp"
#include "subdev/plugin_run_records.hpp"
#include "subdev/plugin_runner.hpp"
#include "subdev/progress_reporter.hpp"
#include "subdev/registry.hpp"
#include "subdev/staged_images.hpp"
#include "transports/mqtt_session.hpp"
#include "transports/supervised_task.hpp"

namespace otagw::subdev {

struct FirmwareJobsOptions {
  std::filesystem::path state_dir;
  bool allow_http = false;
  std::string download_ca_file;  // "" = system trust store
  std::vector<config::HostPattern> allowed_download_hosts;  // empty = any host
  std::uint64_t max_image_bytes = 536870912;
  std::chrono::seconds low_speed_timeout{30};
  std::chrono::seconds download_retry_budget{300};
  std::filesystem::path plugin_host;  // otagw-plugin-host, for library plugins
  // ota.runtime_dir (per boot: /run/otagw under the unit): where running
  // plugins are recorded. "" = state_dir.
  std::filesystem::path runtime_dir;
  std::size_t max_parallel_downloads = 2;
  std::uint64_t max_staging_bytes = 1073741824;
  std::vector<config::FlashWindow> flash_windows;  // a device's own windows replace these; empty = always
  bool require_synced_clock = true;
};

// What the sweep lends the jobs (each may be empty).
struct JobHooks {
  // What a device's publishes wait for after a reconnect: its login.
  std::function<OnlineGate(const std::string& device_key)> gate_for;
  // A job keeps its device online while it runs (windowed sweeps: it holds
  // a seat of ota.max_online), not while it waits for a flash window.
  std::function<asio::awaitable<void>(const std::string& device_key)> take_seat;
  std::function<asio::awaitable<void>(const std::string& device_key)> leave_seat;
  // Asks the cloud for the module's offer again, through the OTA channel.
  std::function<asio::awaitable<std::optional<FirmwareOffer>>(std::string device_key, std::string module)> requery;
  // The job has ended (after its result was recorded). `resumed`: an
  // earlier daemon's job, not one a visit started (its device's query is
  // still due).
  std::function<void(const std::string& device_key, JobOutcome outcome, bool resumed)> ended;
};

class FirmwareJobs {
 public:
  using Requery = ImageFetcher::Requery;

  // `clock` (may be null: the system's) outlives the jobs.
  FirmwareJobs(asio::any_io_executor loop, asio::any_io_executor blocking_pool, transports::MqttSession& session,
               CloudRpc& rpc, DeviceStateStore& state, const std::map<std::string, config::PluginConfig>& plugins,
               FirmwareJobsOptions options, const WallClock* clock = nullptr);
  ~FirmwareJobs();

  // After kMaxFailedJobs failed jobs in a row for the same target on a
  // device, that target is refused with step -1 until the offer changes
  // (the count is kept in the device state). Offers refused by validation
  // are no jobs and do not count.
  static constexpr int kMaxFailedJobs = 3;

  // The offer becomes a job in flight (true), or is refused with its failure
  // step reported (false). The job holds `device` as it is now.
  asio::awaitable<bool> start(SubdevicePtr device, const ModuleSpec& module, FirmwareOffer offer,
                              std::string current_version);
  // start(), then waits for the job's end (with its own requery, not the
  // channel's). A refused offer is JobOutcome::failed.
  asio::awaitable<JobOutcome> run(const Subdevice& device, const ModuleSpec& module, FirmwareOffer offer,
                                  std::string current_version, Requery requery);

  // Jobs an earlier daemon was stopped or killed in after verification,
  // for these devices, go on now (they wait for their window and bus): the
  // kept image is hashed again, the plugin asked whether the target is
  // already there. Downloads resume when the cloud offers them again.
  void resume_interrupted(const std::vector<SubdevicePtr>& devices);

  // The plugins' `version` of the modules the state knows no version of
  // (first sight), in parallel across buses, one at a time on each; the
  // answers (or the configured version) go into the state.
  asio::awaitable<void> probe_versions(const std::vector<SubdevicePtr>& devices);

  // An offer that cannot be used at all: reported as step -1.
  asio::awaitable<void> refuse(const Subdevice& device, const ModuleSpec& module, std::string why);

  // The module is up to date per the cloud: a journaled download for it (an
  // offer withdrawn while the daemon was down) is removed with its bytes.
  void drop_withdrawn(const Subdevice& device, const ModuleSpec& module);

  // The device's version as its plugin tells it (on its bus), or nullopt.
  asio::awaitable<std::optional<std::string>> plugin_version(const Subdevice& device, const ModuleSpec& module);

  [[nodiscard]] bool has_job(const std::string& device_key) const { return scheduler_.has_job(device_key); }
  [[nodiscard]] std::size_t jobs() const noexcept { return scheduler_.jobs(); }
  // A job runs for the device and keeps it online (not parked for a window).
  [[nodiscard]] bool holds_seat(const std::string& device_key) const { return scheduler_.running(device_key); }
  [[nodiscard]] std::vector<std::string> jobs_waiting_for_window() const { return scheduler_.jobs_waiting_for_window(); }

  // Jobs ended since start, by outcome.
  [[nodiscard]] std::size_t installed_total() const noexcept { return installed_total_; }
  [[nodiscard]] std::size_t failed_total() const noexcept { return failed_total_; }

  void set_status(FleetStatus* status) noexcept;
  void set_hooks(JobHooks hooks) { hooks_ = std::move(hooks); }
  // A job's coroutine died of a bug: the daemon exits (default: abort).
  void set_failure_handler(transports::TaskFailureHandler handler) { on_failure_ = std::move(handler); }

  // A reload: plugins whose config changed get a new runner, used from the
  // next job on; a job running keeps the runner it started with. The
  // download settings, slots, staging limit and windows apply from now on.
  void set_plugins(const std::map<std::string, config::PluginConfig>& plugins);
  void set_download_options(const FirmwareJobsOptions& options);

  [[nodiscard]] JobScheduler& scheduler() noexcept { return scheduler_; }

  // No new job starts; downloads stop (kept for resume); waits end with the
  // job journaled; a running flash is let finish.
  void stop();
  [[nodiscard]] bool stopping() const noexcept { return stopping_; }
  // A job is past verification: flashing, or reporting its result.
  [[nodiscard]] bool flashing() const noexcept { return installer_.installing() > 0; }

 private:
  struct Job;

  // The offer as a job, or nullptr when refused (its failure step reported).
  asio::awaitable<std::shared_ptr<Job>> plan(SubdevicePtr device, const ModuleSpec& module, FirmwareOffer offer,
                                             std::string current_version);
  // The job, top to bottom; its outcome is recorded by spawn_job.
  asio::awaitable<JobOutcome> run_job(Job& job, ProgressReporter& progress);
  // Downloading: journal, room, fetch, verified. nullopt = go on to install.
  asio::awaitable<std::optional<JobOutcome>> fetch_images(Job& job, ProgressReporter& progress);
  // Runs `job` on its own; `done` (may be empty) hears its outcome.
  void spawn_job(std::shared_ptr<Job> job, std::function<void(JobOutcome)> done);
  void record_outcome(const Job& job, JobOutcome outcome);
  std::shared_ptr<PluginRunner> runner_for(const ModuleSpec& module);
  void show(const std::string& device_key, const std::string& module, DeviceActivity activity,
            const std::string& target = {});
  void show_waiting(const std::string& device_key, const std::string& module, const std::string& what);
  [[nodiscard]] const std::vector<config::FlashWindow>& windows_of(const Subdevice& device) const;
  asio::awaitable<void> journal_failed(const Job& job, std::error_code ec, FailureStep step, ProgressReporter& progress);

  asio::any_io_executor loop_;
  asio::any_io_executor blocking_pool_;
  transports::MqttSession& session_;
  CloudRpc& rpc_;
  DeviceStateStore& state_;
  FirmwareJobsOptions options_;
  SystemWallClock system_clock_;
  const WallClock& clock_;
  JobJournal journal_;
  PluginRunRecords plugin_runs_;  // before runners_: they hold a pointer to it
  // By plugin name; shared with the jobs running them (a reload may replace one).
  std::map<std::string, std::shared_ptr<PluginRunner>> runners_;
  StagedImages staged_;
  ImageFetcher fetcher_;
  ImageInstaller installer_;
  JobScheduler scheduler_;
  FleetStatus* status_ = nullptr;
  JobHooks hooks_;
  transports::TaskFailureHandler on_failure_;
  std::size_t installed_total_ = 0;
  std::size_t failed_total_ = 0;
  bool stopping_ = false;
};

}  // namespace otagw::subdev
