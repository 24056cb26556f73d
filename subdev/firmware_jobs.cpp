#include "subdev/firmware_jobs.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include <spdlog/spdlog.h>

#include "subdev/job_plan.hpp"
#include "subdev/json_text.hpp"
#include "transports/async_slot.hpp"
#include "transports/device_log.hpp"
#include "transports/log_text.hpp"

namespace otagw::subdev {
namespace {

DownloadOptions download_options(const FirmwareJobsOptions& options) {
  return {options.allow_http,      options.download_ca_file,  options.allowed_download_hosts,
          options.max_image_bytes, options.low_speed_timeout, options.download_retry_budget};
}

}  // namespace

// One job in flight. It holds its device as it was when the job started (a
// reload may replace the registry's object meanwhile) and a copy of its
// module.
struct FirmwareJobs::Job {
  SubdevicePtr device;
  ModuleSpec module;
  JobRecord record;
  std::vector<JobFile> files;     // the record's files, for releasing their room at the end
  std::string target;             // the record's target version (the record goes to the installer)
  std::vector<std::string> kept;  // files not streamed in this job: hashed again before the flash
  Requery requery;
  OnlineGate gate;
  bool resumed = false;  // journaled past the download by an earlier daemon
  bool holds_room = false;

  [[nodiscard]] std::string key() const { return device->key(); }
};

FirmwareJobs::FirmwareJobs(asio::any_io_executor loop, asio::any_io_executor blocking_pool,
                           transports::MqttSession& session, CloudRpc& rpc, DeviceStateStore& state,
                           const std::map<std::string, config::PluginConfig>& plugins, FirmwareJobsOptions options,
                           const WallClock* clock)
    : loop_(loop),
      blocking_pool_(blocking_pool),
      session_(session),
      rpc_(rpc),
      state_(state),
      options_(std::move(options)),
      clock_(clock != nullptr ? *clock : system_clock_),
      journal_(options_.state_dir / "jobs"),
      plugin_runs_((options_.runtime_dir.empty() ? options_.state_dir : options_.runtime_dir) / "plugin-runs"),
      staged_(loop, options_.state_dir / "cache", options_.max_staging_bytes),
      fetcher_(loop, blocking_pool, journal_, staged_, std::max<std::size_t>(1, options_.max_parallel_downloads),
               download_options(options_)),
      installer_(loop, blocking_pool, session, rpc, state, journal_, staged_),
      scheduler_(loop, clock_) {
  scheduler_.set_require_synced_clock(options_.require_synced_clock);
  // Start-up, with state_dir locked and before any plugin runs: what an
  // earlier daemon's plugins left running must not touch a device again.
  plugin_runs_.end_orphans();
  for (const auto& [name, plugin] : plugins) {
    runners_.emplace(name, std::make_shared<PluginRunner>(loop, plugin, options_.plugin_host, &plugin_runs_));
  }
  // Start-up, before any job runs: nothing under jobs/ outlives what
  // explains it (StagedImages emptied the shared images: no job holds one).
  if (const std::size_t removed = journal_.remove_unexplained(); removed > 0) {
    spdlog::info("removed {} leftover(s) under {} that no job journal explains", removed,
                 (options_.state_dir / "jobs").string());
  }
}

FirmwareJobs::~FirmwareJobs() = default;

void FirmwareJobs::set_status(FleetStatus* status) noexcept {
  status_ = status;
  installer_.set_status(status);
}

void FirmwareJobs::set_plugins(const std::map<std::string, config::PluginConfig>& plugins) {
  std::map<std::string, std::shared_ptr<PluginRunner>> runners;
  for (const auto& [name, plugin] : plugins) {
    const auto it = runners_.find(name);
    runners.emplace(name, it != runners_.end() && it->second->plugin() == plugin
                              ? it->second
                              : std::make_shared<PluginRunner>(loop_, plugin, options_.plugin_host, &plugin_runs_));
  }
  runners_ = std::move(runners);
}

void FirmwareJobs::set_download_options(const FirmwareJobsOptions& options) {
  options_.allow_http = options.allow_http;
  options_.download_ca_file = options.download_ca_file;
  options_.allowed_download_hosts = options.allowed_download_hosts;
  options_.max_image_bytes = options.max_image_bytes;
  options_.low_speed_timeout = options.low_speed_timeout;
  options_.download_retry_budget = options.download_retry_budget;
  options_.max_parallel_downloads = options.max_parallel_downloads;
  options_.max_staging_bytes = options.max_staging_bytes;
  options_.flash_windows = options.flash_windows;
  options_.require_synced_clock = options.require_synced_clock;
  fetcher_.set_options(download_options(options_));
  fetcher_.set_download_slots(std::max<std::size_t>(1, options_.max_parallel_downloads));
  staged_.set_max_bytes(options_.max_staging_bytes);
  scheduler_.set_require_synced_clock(options_.require_synced_clock);
  scheduler_.clock_changed();  // window waits look at their (maybe new) windows again
}

void FirmwareJobs::show(const std::string& device_key, const std::string& module, DeviceActivity activity,
                        const std::string& target) {
  if (status_ != nullptr) status_->set_activity(device_key, module, activity, target);
}

void FirmwareJobs::show_waiting(const std::string& device_key, const std::string& module, const std::string& what) {
  if (status_ != nullptr) status_->set_waiting(device_key, module, what);
}

std::shared_ptr<PluginRunner> FirmwareJobs::runner_for(const ModuleSpec& module) {
  const auto it = runners_.find(module.plugin);
  return it == runners_.end() ? nullptr : it->second;
}

const std::vector<config::FlashWindow>& FirmwareJobs::windows_of(const Subdevice& device) const {
  return device.flash_windows ? *device.flash_windows : options_.flash_windows;
}

// ---- versions ---------------------------------------------------------------------------------

asio::awaitable<std::optional<std::string>> FirmwareJobs::plugin_version(const Subdevice& device,
                                                                         const ModuleSpec& module) {
  const std::shared_ptr<PluginRunner> runner = runner_for(module);
  if (runner == nullptr) co_return std::nullopt;
  transports::AsyncSemaphore::Permit turn = co_await scheduler_.take_bus(device.bus);
  if (!turn) co_return std::nullopt;
  std::error_code ignored;
  const auto work_dir = journal_.job_dir(device.key());
  const bool had_job = std::filesystem::exists(work_dir, ignored);
  std::filesystem::create_directories(work_dir, ignored);
  auto version = co_await runner->version(make_plugin_job(device, module, nullptr, journal_, state_));
  // The plugin's working directory was made for this query only: it goes
  // with it, or every queried device would leave one under jobs/.
  if (!had_job) std::filesystem::remove_all(work_dir, ignored);
  co_return version;
}

asio::awaitable<void> FirmwareJobs::probe_versions(const std::vector<SubdevicePtr>& devices) {
  // Per bus, the (device, module) pairs whose version the state lacks.
  std::map<std::string, std::vector<std::pair<SubdevicePtr, const ModuleSpec*>>> by_bus;
  std::size_t count = 0;
  for (const SubdevicePtr& device : devices) {
    if (has_job(device->key())) continue;
    const DeviceState* known = state_.find(device->key());
    for (const ModuleSpec& module : device->modules) {
      if (known != nullptr && known->installed_versions.count(module.name) > 0) continue;
      if (runner_for(module) == nullptr) continue;
      by_bus[device->bus].emplace_back(device, &module);
      ++count;
    }
  }
  if (count == 0) co_return;
  const auto started = std::chrono::steady_clock::now();
  struct Join {
    explicit Join(asio::any_io_executor loop) : done(std::move(loop)) {}
    std::size_t remaining = 0;
    std::exception_ptr error;
    transports::AsyncSignal done;
  };
  auto join = std::make_shared<Join>(loop_);
  join->remaining = by_bus.size();
  for (auto& [bus, probes] : by_bus) {
    auto probe_bus = [](FirmwareJobs& self, std::vector<std::pair<SubdevicePtr, const ModuleSpec*>> list)
        -> asio::awaitable<void> {
      for (const auto& [device, module] : list) {
        if (self.stopping_) co_return;
        std::optional<std::string> told = co_await self.plugin_version(*device, *module);
        if (self.stopping_) co_return;
        self.state_.at(device->key()).installed_versions[module->name] = told.value_or(module->configured_version);
        self.state_.mark_dirty();
      }
    };
    asio::co_spawn(loop_, probe_bus(*this, std::move(probes)), [join](std::exception_ptr error) {
      if (error && !join->error) join->error = error;
      if (--join->remaining == 0) join->done.notify_all();
    });
  }
  while (join->remaining > 0) co_await join->done.wait();
  if (join->error) std::rethrow_exception(join->error);
  spdlog::info("asked {} module(s) of new sub-devices for their version on {} bus(es) in {:.3f} s", count,
               by_bus.size(), std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

// ---- offers become jobs -----------------------------------------------------------------------

asio::awaitable<void> FirmwareJobs::refuse(const Subdevice& device, const ModuleSpec& module, std::string why) {
  device_log::warn(device.display_name(), "", "sub-device {}: offer refused: {}", device.display_name(), log_text(why));
  const OnlineGate gate = hooks_.gate_for ? hooks_.gate_for(device.key()) : OnlineGate{};
  ProgressReporter progress(session_, rpc_, device.product_key, device.device_name, module.name, &gate, status_);
  co_await progress.failed(FailureStep::upgrade_failed, std::move(why));
}

void FirmwareJobs::drop_withdrawn(const Subdevice& device, const ModuleSpec& module) {
  if (has_job(device.key())) return;  // the journal is the running job's
  const auto record = journal_.load(device.key());
  if (!record || record->module != module.name || record->phase != JobPhase::downloading) return;
  device_log::info(device.display_name(), record->target_version,
                   "sub-device {}: the cloud no longer offers {}: its staged download is dropped", device.display_name(),
                   record->target_version);
  journal_.remove(device.key());
}

asio::awaitable<std::shared_ptr<FirmwareJobs::Job>> FirmwareJobs::plan(SubdevicePtr device, const ModuleSpec& module,
                                                                      FirmwareOffer offer,
                                                                      std::string current_version) {
  if (stopping_ || has_job(device->key())) co_return nullptr;
  const OnlineGate gate = hooks_.gate_for ? hooks_.gate_for(device->key()) : OnlineGate{};
  // An offer this gateway refuses is no job and does not count below.
  JobPlan plan = plan_job(*device, module, offer, std::move(current_version),
                          JobPolicy{options_.allow_http, options_.max_image_bytes});
  if (!plan.record) {
    device_log::warn(device->display_name(), offer.version, "sub-device {}: offer of {} refused: {}",
                     device->display_name(), offer.version, log_text(plan.why));
    ProgressReporter progress(session_, rpc_, device->product_key, device->device_name, module.name, &gate, status_);
    co_await progress.failed(plan.step, plan.why);
    co_return nullptr;
  }
  const std::string& target = plan.record->target_version;
  if (const auto* known = state_.find(device->key()); known != nullptr) {
    const auto it = known->failed_targets.find(module.name);
    if (it != known->failed_targets.end() && it->second.version == target && it->second.jobs >= kMaxFailedJobs) {
      // Each attempt costs a download and a flash of the device; the cloud
      // is told once per offer, and a new target starts afresh.
      const std::string why = "firmware " + target + " failed " + std::to_string(it->second.jobs) +
                              " jobs in a row on this device: not tried again until the offer changes";
      device_log::warn(device->display_name(), target, "sub-device {}: {}", device->display_name(), why);
      ProgressReporter progress(session_, rpc_, device->product_key, device->device_name, module.name, &gate, status_);
      co_await progress.failed(FailureStep::upgrade_failed, why);
      co_return nullptr;
    }
  }
  auto job = std::make_shared<Job>();
  job->device = device;
  job->module = module;
  job->record = std::move(*plan.record);
  job->files = job->record.files;
  job->target = job->record.target_version;
  job->gate = gate;
  co_return job;
}

asio::awaitable<bool> FirmwareJobs::start(SubdevicePtr device, const ModuleSpec& module, FirmwareOffer offer,
                                          std::string current_version) {
  std::shared_ptr<Job> job = co_await plan(device, module, std::move(offer), std::move(current_version));
  if (!job) co_return false;
  // The cloud is asked again through the sweep's channel, by device key.
  job->requery = [this, key = device->key(), name = module.name]() -> asio::awaitable<std::optional<FirmwareOffer>> {
    if (!hooks_.requery) co_return std::nullopt;
    co_return co_await hooks_.requery(key, name);
  };
  spawn_job(std::move(job), {});
  co_return true;
}

asio::awaitable<JobOutcome> FirmwareJobs::run(const Subdevice& device, const ModuleSpec& module, FirmwareOffer offer,
                                              std::string current_version, Requery requery) {
  auto held = std::make_shared<const Subdevice>(device);
  const auto it = std::find_if(held->modules.begin(), held->modules.end(),
                               [&module](const ModuleSpec& m) { return m.name == module.name; });
  if (it == held->modules.end()) co_return JobOutcome::failed;
  std::shared_ptr<Job> job = co_await plan(held, *it, std::move(offer), std::move(current_version));
  if (!job) co_return JobOutcome::failed;
  job->requery = std::move(requery);
  transports::AsyncSlot<JobOutcome> ended(loop_);
  spawn_job(std::move(job), [&ended](JobOutcome outcome) { ended.deliver(outcome); });
  const std::optional<JobOutcome> outcome = co_await ended.wait_for(std::chrono::hours(24 * 365));
  co_return outcome.value_or(JobOutcome::interrupted);
}

void FirmwareJobs::resume_interrupted(const std::vector<SubdevicePtr>& devices) {
  if (stopping_) return;
  for (const SubdevicePtr& device : devices) {
    if (has_job(device->key())) continue;
    auto record = journal_.load(device->key());
    // A download is resumed when the cloud offers it again.
    if (!record || record->phase == JobPhase::downloading) continue;
    const auto module = std::find_if(device->modules.begin(), device->modules.end(),
                                     [&record](const ModuleSpec& m) { return m.name == record->module; });
    if (module == device->modules.end()) continue;
    device_log::info(device->display_name(), record->target_version,
                     "sub-device {}: resuming the job for {} interrupted in phase {}", device->display_name(),
                     record->target_version, to_string(record->phase));
    auto job = std::make_shared<Job>();
    job->device = device;
    job->module = *module;
    job->record = std::move(*record);
    job->files = job->record.files;
    job->target = job->record.target_version;
    // The image lay on disk while no daemon watched it: hashed again.
    for (const JobFile& file : job->files) job->kept.push_back(file.name);
    job->gate = hooks_.gate_for ? hooks_.gate_for(device->key()) : OnlineGate{};
    job->resumed = true;
    spawn_job(std::move(job), {});
  }
}

// ---- a job, top to bottom ---------------------------------------------------------------------

void FirmwareJobs::spawn_job(std::shared_ptr<Job> job, std::function<void(JobOutcome)> done) {
  const std::string key = job->key();
  scheduler_.add_job(key);
  show(key, job->module.name, DeviceActivity::queued, job->record.target_version);
  auto drive = [](FirmwareJobs& self, std::shared_ptr<Job> running, std::function<void(JobOutcome)> on_end)
      -> asio::awaitable<void> {
    const Subdevice& device = *running->device;
    ProgressReporter progress(self.session_, self.rpc_, device.product_key, device.device_name, running->module.name,
                              &running->gate, self.status_);
    const JobOutcome outcome = co_await self.run_job(*running, progress);
    if (running->holds_room) self.staged_.release(running->files);
    self.record_outcome(*running, outcome);
    const std::string device_key = running->key();
    self.scheduler_.remove_job(device_key);
    if (on_end) on_end(outcome);
    if (self.hooks_.ended) self.hooks_.ended(device_key, outcome, running->resumed);
    if (self.hooks_.leave_seat) co_await self.hooks_.leave_seat(device_key);
  };
  transports::spawn_supervised(loop_, "firmware job " + display_name_of_key(key),
                               drive(*this, std::move(job), std::move(done)),
                               on_failure_ ? on_failure_ : transports::TaskFailureHandler(transports::abort_on_task_failure));
}

asio::awaitable<JobOutcome> FirmwareJobs::run_job(Job& job, ProgressReporter& progress) {
  if (!job.resumed) {
    const std::optional<JobOutcome> ended = co_await fetch_images(job, progress);
    if (ended) co_return *ended;
  } else {
    // Its bytes are on disk already: they count against the staging room.
    staged_.claim_present(job.files);
    job.holds_room = true;
  }
  const Subdevice& device = *job.device;
  const std::string key = job.key();
  const auto& windows = windows_of(device);
  bool waited = false;  // for a window or the bus: the image lay on disk meanwhile
  for (;;) {
    if (stopping_) co_return JobOutcome::interrupted;
    if (!scheduler_.window_open(windows)) {
      waited = true;
      // Parked until the window opens: journaled as verified, no download
      // slot, no online seat; a restart finds it again.
      scheduler_.set_stage(key, JobScheduler::JobStage::waiting_for_window);
      show_waiting(key, job.module.name, "flash window");
      if (hooks_.leave_seat) co_await hooks_.leave_seat(key);
      auto on_wait = [&device, &job](const std::string& what) {
        device_log::info(device.display_name(), job.record.target_version,
                         "sub-device {}: {} verified; waiting for {}", device.display_name(),
                         job.record.target_version, what);
      };
      const bool open = co_await scheduler_.wait_for_window(windows, on_wait);
      scheduler_.set_stage(key, JobScheduler::JobStage::running);
      if (!open) co_return JobOutcome::interrupted;
      if (hooks_.take_seat) co_await hooks_.take_seat(key);
    }
    if (!scheduler_.bus_free(device.bus)) {
      waited = true;
      show_waiting(key, job.module.name, "bus " + device.bus);
    }
    transports::AsyncSemaphore::Permit turn = co_await scheduler_.take_bus(device.bus);
    // A stop between the grant and this resumption: no flash starts after it.
    if (!turn || stopping_) co_return JobOutcome::interrupted;
    // The window may have closed while the bus was busy: a flash starts
    // only inside one.
    if (!scheduler_.window_open(windows)) continue;
    if (waited) {
      // Bytes that waited on disk (hours, for a window) are hashed again
      // right before the plugin, as kept ones are: another job sharing the
      // same inode may have found them damaged meanwhile.
      job.kept.clear();
      for (const JobFile& file : job.files) job.kept.push_back(file.name);
    }
    InstallTarget target{device, job.module, progress, &job.gate, runner_for(job.module)};
    co_return co_await installer_.install(std::move(job.record), target, std::move(job.kept));
  }
}

asio::awaitable<std::optional<JobOutcome>> FirmwareJobs::fetch_images(Job& job, ProgressReporter& progress) {
  const Subdevice& device = *job.device;
  const std::string key = job.key();
  JobRecord& record = job.record;
  // A journaled download of the same package keeps its bytes; anything else
  // journaled for this device is stale.
  const auto previous = journal_.load(key);
  if (previous && !(previous->phase == JobPhase::downloading && same_package(*previous, record))) {
    journal_.remove(key);
  } else if (!previous) {
    // Staged bytes that no readable journal vouches for (its journal was
    // moved aside as job.json.broken, which stays) are not resumed from.
    std::error_code unvouched;
    std::filesystem::remove_all(journal_.image_dir(key), unvouched);
  }
  // (co_await results go to variables: g++ 12 miscompiles one in a condition.)
  const std::error_code journaled = co_await journal_.save(record, blocking_pool_);
  if (journaled) {
    co_await journal_failed(job, journaled, FailureStep::download_failed, progress);
    co_return JobOutcome::failed;
  }
  if (status_ != nullptr) status_->set_error(key, job.module.name, "");
  device_log::info(device.display_name(), record.target_version, "sub-device {}: firmware {} -> {} ({} file(s), {})",
                   device.display_name(), record.previous_version, record.target_version, record.files.size(),
                   record.sign_method);

  std::string why;
  auto on_room_wait = [this, &device, &job, key](const std::string& what) {
    device_log::info(device.display_name(), job.record.target_version, "sub-device {}: download waits: {}",
                     device.display_name(), what);
    show_waiting(key, job.module.name, "staging room");
  };
  const StagedImages::Claim claim = co_await staged_.reserve(record.files, on_room_wait, why);
  if (claim == StagedImages::Claim::stopped) co_return JobOutcome::interrupted;
  if (claim == StagedImages::Claim::never_fits) {
    device_log::warn(device.display_name(), record.target_version, "sub-device {}: {}", device.display_name(), why);
    co_await progress.failed(FailureStep::download_failed, why);
    journal_.remove(key);
    co_return JobOutcome::failed;
  }
  job.holds_room = true;

  auto on_wait = [this, key, module = job.module.name](const std::string& what) { show_waiting(key, module, what); };
  auto on_downloading = [this, key, module = job.module.name, target = record.target_version] {
    show(key, module, DeviceActivity::downloading, target);
  };
  FetchOutcome fetched = co_await fetcher_.fetch(record, progress, job.requery, on_wait, on_downloading);
  if (fetched.status == FetchOutcome::Status::interrupted) co_return JobOutcome::interrupted;
  const auto image_dir = journal_.image_dir(key);
  if (fetched.status != FetchOutcome::Status::complete) {
    // The staging file's path is for the log (a disk error names it), not
    // for the cloud.
    device_log::warn(device.display_name(), record.target_version, "sub-device {}: download of {} to {} failed: {}",
                     device.display_name(), fetched.failed_file, (image_dir / fetched.failed_file).string(),
                     log_text(fetched.detail));
    const FailureStep step = fetched.status == FetchOutcome::Status::digest_mismatch ? FailureStep::verification_failed
                                                                                   : FailureStep::download_failed;
    co_await progress.failed(step, fetched.detail);
    journal_.remove(key);
    co_return JobOutcome::failed;
  }

  show(key, job.module.name, DeviceActivity::verifying);
  // A streamed file is verified: the downloader hashed exactly the bytes it
  // wrote and fsynced (a resumed download re-hashes the prefix it kept), and
  // the fetcher compared that digest with the offer. Files linked from
  // another job's image are hashed again before the flash (job.kept).
  for (const JobFile& file : record.files) ::chmod((image_dir / file.name).c_str(), 0444);  // read-only for the plugin
  if (record.multi_file) {
    nlohmann::json manifest = {{"files", nlohmann::json::array()}};
    for (const JobFile& file : record.files) {
      manifest["files"].push_back(
          {{"name", file.name}, {"size", file.size}, {"sign", file.sign}, {"signMethod", record.sign_method}});
    }
    std::ofstream(image_dir / "manifest.json") << json_text(manifest, 1);
  }
  co_await progress.download_complete();

  record.phase = JobPhase::verified;
  // Without this entry a crash after the flash could not be told from one
  // before it: no flash without it.
  const std::error_code verified_saved = co_await journal_.save(record, blocking_pool_);
  if (verified_saved) {
    co_await journal_failed(job, verified_saved, FailureStep::flashing_failed, progress);
    co_return JobOutcome::failed;
  }
  job.kept = std::move(fetched.kept);
  co_return std::nullopt;
}

// A journal entry that could not be written (disk full, read-only, I/O
// error): logged with the path and the errno text, reported with the step of
// what cannot go on (the cloud gets no local path), and the job's files go.
asio::awaitable<void> FirmwareJobs::journal_failed(const Job& job, std::error_code ec, FailureStep step,
                                                   ProgressReporter& progress) {
  const Subdevice& device = *job.device;
  device_log::error(device.display_name(), job.record.target_version,
                    "sub-device {}: cannot write the job journal {} (phase {}): {}", device.display_name(),
                    (journal_.job_dir(device.key()) / "job.json").string(), to_string(job.record.phase), ec.message());
  co_await progress.failed(step, "gateway cannot write its state: " + ec.message());
  journal_.remove(device.key());
}

void FirmwareJobs::record_outcome(const Job& job, JobOutcome outcome) {
  // An interrupted job stays journaled: nothing ended.
  if (outcome == JobOutcome::interrupted) return;
  const std::string key = job.key();
  auto& device_state = state_.at(key);
  auto& failed = device_state.failed_targets;
  if (outcome == JobOutcome::failed) {
    ++failed_total_;
    if (!job.resumed) {
      auto& entry = failed[job.module.name];
      if (entry.version != job.target) entry = {job.target, 0};
      ++entry.jobs;
    }
  } else {
    ++installed_total_;
    failed.erase(job.module.name);
  }
  const std::string label = job.module.name.empty() ? "" : job.module.name + ": ";
  const std::string result = "job " + std::string(to_string(outcome)) + " " + job.target;
  device_state.last_result = label + result;
  state_.mark_dirty();
  if (status_ != nullptr) {
    // A failed job said why already (its failure step's desc).
    status_->set_result(key, job.module.name, 0, result,
                        outcome == JobOutcome::installed ? std::optional<std::string>("") : std::nullopt);
  }
}

void FirmwareJobs::stop() {
  stopping_ = true;
  fetcher_.stop();
  staged_.stop();
  scheduler_.stop();
}

}  // namespace otagw::subdev
