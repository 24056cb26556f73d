#pragma once
// Installing a verified image: the one door to a plugin's flash.
//
//   kept files hashed again -> journal "flashing" -> the plugin's flash ->
//   journal "confirming" -> the plugin's version until it names the target ->
//   inform the cloud -> state saved -> journal removed
//
// The caller holds the device's bus for the whole install (every plugin call
// here talks to the device). Files streamed in this job were verified by
// their download hash; files named in `kept` (kept across a restart, or
// linked from another job's verified image) are hashed again from disk right
// before the plugin runs. After a restart in `flashing` or `confirming` the
// device is asked first: it may run the target already.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "subdev/cloud_rpc.hpp"
#include "subdev/device_state.hpp"
#include "subdev/fleet_status.hpp"
#include "subdev/job_journal.hpp"
#include "subdev/plugin_job.hpp"
#include "subdev/plugin_runner.hpp"
#include "subdev/progress_reporter.hpp"
#include "subdev/registry.hpp"
#include "subdev/staged_images.hpp"
#include "transports/mqtt_session.hpp"

namespace otagw::subdev {

enum class JobOutcome {
  installed,    // flashed and reported at the new version
  failed,       // a failure step was reported; nothing (more) was flashed
  interrupted,  // the daemon is stopping: the journal keeps the job for the next start
};

[[nodiscard]] std::string_view to_string(JobOutcome outcome) noexcept;

// What the plugin is told about a job (`record` null: a version query).
[[nodiscard]] PluginJob make_plugin_job(const Subdevice& device, const ModuleSpec& module, const JobRecord* record,
                                        const JobJournal& journal, const DeviceStateStore& state);

// One job's install: whose, with which plugin, reporting where.
struct InstallTarget {
  const Subdevice& device;
  const ModuleSpec& module;
  ProgressReporter& progress;
  const OnlineGate* gate;  // what the final inform waits for (may be null)
  std::shared_ptr<PluginRunner> runner;  // null: the module's plugin is not configured
};

class ImageInstaller {
 public:
  ImageInstaller(asio::any_io_executor loop, asio::any_io_executor blocking_pool, transports::MqttSession& session,
                 CloudRpc& rpc, DeviceStateStore& state, JobJournal& journal, StagedImages& staged);

  void set_status(FleetStatus* status) noexcept { status_ = status; }

  // `record` is journaled as verified (or later, after a restart).
  asio::awaitable<JobOutcome> install(JobRecord record, InstallTarget target, std::vector<std::string> kept);

  // Reports `version` on the device's inform topic (after a reconnect, once
  // the device is logged in again).
  asio::awaitable<void> report_version(const Subdevice& device, const ModuleSpec& module, const std::string& version,
                                       const OnlineGate* gate);

  // Installs under way (flashing, confirming or reporting): the daemon lets
  // them finish before it exits.
  [[nodiscard]] int installing() const noexcept { return installing_; }

 private:
  // Why a `kept` file no longer matches the record (size or digest), or nullopt.
  asio::awaitable<std::optional<std::string>> mismatch_on_disk(JobRecord record, std::vector<std::string> kept);
  // The job installed `version`: state saved (fsynced), then the journal removed.
  asio::awaitable<void> end_job(const Subdevice& device, const ModuleSpec& module, std::string version);
  asio::awaitable<std::optional<std::string>> confirm_flash(PluginRunner& runner, PluginJob query, std::string target);
  asio::awaitable<JobOutcome> confirm_and_report(JobRecord record, InstallTarget target, PluginJob query);
  void show(const Subdevice& device, const ModuleSpec& module, DeviceActivity activity, const std::string& version = {});

  asio::any_io_executor loop_;
  asio::any_io_executor blocking_pool_;
  transports::MqttSession& session_;
  CloudRpc& rpc_;
  DeviceStateStore& state_;
  JobJournal& journal_;
  StagedImages& staged_;
  FleetStatus* status_ = nullptr;
  int installing_ = 0;
};

}  // namespace otagw::subdev
