#pragma once
// Firmware jobs: a firmware offer for the active device becomes a job that
// ends with the new version installed and reported, or with the right
// failure step reported, and never with a bad image flashed.
//
//   validate the offer -> journal "downloading" -> download (resumable,
//   hashed while streaming, retried with back-off within a budget) ->
//   verify size and digest -> journal "verified" -> journal "flashing" ->
//   the device's plugin -> ask its version -> report it on inform -> state
//
// Runs inside the device's visit (the OTA channel stays on the device). A
// lost MQTT session does not stop a download or a flash; the final report
// waits for the session to come back.
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
#include "subdev/fleet_status.hpp"
#include "subdev/job_journal.hpp"
#include "subdev/plugin_run_records.hpp"
#include "subdev/plugin_runner.hpp"
#include "subdev/progress_reporter.hpp"
#include "subdev/registry.hpp"
#include "transports/http_download.hpp"
#include "transports/mqtt_session.hpp"

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
};

enum class JobOutcome {
  installed,    // flashed and reported at the new version
  failed,       // a failure step was reported; nothing (more) was flashed
  interrupted,  // the daemon is stopping: the journal keeps the job for the next start
};

[[nodiscard]] std::string_view to_string(JobOutcome outcome) noexcept;

class FirmwareJobs {
 public:
  // Asks the cloud again for the module's offer (the channel's query), for a
  // download whose signed URL has expired.
  using Requery = std::function<asio::awaitable<std::optional<FirmwareOffer>>()>;

  FirmwareJobs(asio::any_io_executor loop, asio::any_io_executor blocking_pool, transports::MqttSession& session,
               CloudRpc& rpc, DeviceStateStore& state, const std::map<std::string, config::PluginConfig>& plugins,
               FirmwareJobsOptions options);
  ~FirmwareJobs();

  // Before a module is queried: finish a job the daemon was stopped or
  // killed in after verification (asks the plugin whether the target is
  // already there, else hashes the kept image again and flashes it; a kept
  // image that no longer matches the offer is step -3, removed, never
  // flashed). nullopt when there is no such job.
  asio::awaitable<std::optional<JobOutcome>> finish_interrupted(const Subdevice& device, const ModuleSpec& module);

  // After kMaxFailedJobs failed jobs in a row for the same target on a
  // device, that target is refused with step -1 until the offer changes
  // (the count is kept in the device state). Offers refused by validation
  // are no jobs and do not count.
  static constexpr int kMaxFailedJobs = 3;

  asio::awaitable<JobOutcome> run(const Subdevice& device, const ModuleSpec& module, FirmwareOffer offer,
                                  std::string current_version, Requery requery);

  // An offer that cannot be used at all: reported as step -1.
  asio::awaitable<void> refuse(const Subdevice& device, const ModuleSpec& module, std::string why);

  // The module is up to date per the cloud: a journaled download for it (an
  // offer withdrawn while the daemon was down) is removed with its bytes.
  void drop_withdrawn(const Subdevice& device, const ModuleSpec& module);

  // The device's version as its plugin tells it, or nullopt.
  asio::awaitable<std::optional<std::string>> plugin_version(const Subdevice& device, const ModuleSpec& module);

  // The operator's view (may be null; outlives the jobs): each job's state,
  // download and flash progress, and why it failed.
  void set_status(FleetStatus* status) noexcept { status_ = status; }

  // A reload: plugins whose config changed get a new runner, used from the
  // next job on; a job running keeps the runner it started with. The
  // download settings apply to the next download.
  void set_plugins(const std::map<std::string, config::PluginConfig>& plugins);
  void set_download_options(const FirmwareJobsOptions& options);

  // What a job's reports wait for after a reconnect (the sweep's online set
  // logged in again); without it, the session alone.
  void set_online_gate(OnlineGate gate) { online_gate_ = std::move(gate); }

  // The pass is over: images kept for identical offers are dropped.
  void end_pass();

  // No new job starts; a download stops (kept for resume); a running flash
  // is let finish.
  void stop();
  // A job is past verification: flashing, or reporting its result.
  [[nodiscard]] bool flashing() const noexcept { return flashing_ > 0; }

 private:
  enum class DownloadStatus { complete, digest_mismatch, failed, interrupted };

  // The one door to a plugin's flash. The job's files are verified: those
  // streamed in this job by their download hash; those named in `kept`
  // (kept across a restart, or linked from the cache) are hashed again from
  // disk here, right before the plugin runs. Then the device's version is
  // saved in state before the journal goes, on every path that installs.
  asio::awaitable<JobOutcome> flash_verified(JobRecord record, const Subdevice& device, const ModuleSpec& module,
                                             ProgressReporter& progress, std::vector<std::string> kept);
  // Why a `kept` file no longer matches the record (size or digest), or nullopt.
  asio::awaitable<std::optional<std::string>> mismatch_on_disk(JobRecord record, std::vector<std::string> kept);
  // The job installed `version`: state saved (fsynced), then the journal removed.
  asio::awaitable<void> end_job(const Subdevice& device, const ModuleSpec& module, std::string version);
  asio::awaitable<DownloadStatus> download_file(const JobFile& file, const JobRecord& record,
                                                 std::uint64_t done_before, std::uint64_t total,
                                                 ProgressReporter& progress, Requery& requery, std::string& detail);
  asio::awaitable<void> report_version(const Subdevice& device, const ModuleSpec& module, const std::string& version);
  PluginJob plugin_job(const Subdevice& device, const ModuleSpec& module, const JobRecord* record) const;
  std::shared_ptr<PluginRunner> runner_for(const ModuleSpec& module);
  void show(const Subdevice& device, const ModuleSpec& module, DeviceActivity activity,
            const std::string& target = {});
  std::filesystem::path shared_image(const std::string& sign) const;
  // A validated offer's job: journal, download, verify, flash_verified.
  asio::awaitable<JobOutcome> run_job(const Subdevice& device, const ModuleSpec& module, JobRecord record,
                                      Requery requery);
  asio::awaitable<void> journal_failed(const Subdevice& device, const JobRecord& record, std::error_code ec,
                                      FailureStep step, ProgressReporter& progress);
  asio::awaitable<std::optional<std::string>> confirm_flash(PluginRunner& runner, PluginJob query, std::string target);
  // After the plugin flashed (in this run or before a restart): the device's
  // version confirmed, reported, saved; the journal removed.
  asio::awaitable<JobOutcome> confirm_and_report(JobRecord record, const Subdevice& device, const ModuleSpec& module,
                                                 ProgressReporter& progress, PluginRunner& runner, PluginJob query);
  void keep_only_in_cache(const std::vector<JobFile>& files) const;

  asio::any_io_executor loop_;
  asio::any_io_executor blocking_pool_;
  transports::MqttSession& session_;
  CloudRpc& rpc_;
  DeviceStateStore& state_;
  FirmwareJobsOptions options_;
  transports::HttpDownloader downloader_;
  JobJournal journal_;
  PluginRunRecords plugin_runs_;  // before runners_: they hold a pointer to it
  // By plugin name; shared with the jobs running them (a reload may replace one).
  std::map<std::string, std::shared_ptr<PluginRunner>> runners_;
  FleetStatus* status_ = nullptr;
  OnlineGate online_gate_;
  int flashing_ = 0;
  bool stopping_ = false;
};

}  // namespace otagw::subdev
