#include "subdev/image_installer.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "subdev/job_plan.hpp"
#include "subdev/json_text.hpp"
#include "subdev/topics.hpp"
#include "transports/blocking_call.hpp"
#include "transports/device_log.hpp"
#include "transports/digest.hpp"
#include "transports/log_text.hpp"

namespace otagw::subdev {

std::string_view to_string(JobOutcome outcome) noexcept {
  switch (outcome) {
    case JobOutcome::installed: return "installed";
    case JobOutcome::failed: return "failed";
    case JobOutcome::interrupted: return "interrupted";
  }
  return "unknown";
}

PluginJob make_plugin_job(const Subdevice& device, const ModuleSpec& module, const JobRecord* record,
                          const JobJournal& journal, const DeviceStateStore& state) {
  PluginJob job;
  job.product_key = device.product_key;
  job.device_name = device.device_name;
  job.module = module.name;
  job.params = module.params.is_object() ? module.params : nlohmann::json::object();
  job.work_dir = journal.job_dir(device.key());
  const DeviceState* known = state.find(device.key());
  job.current_version = module.configured_version;
  if (known != nullptr) {
    if (const auto it = known->installed_versions.find(module.name); it != known->installed_versions.end()) {
      job.current_version = it->second;
    }
  }
  if (record != nullptr) {
    job.target_version = record->target_version;
    job.current_version = record->previous_version;
    job.ext_data = record->ext_data;
    job.is_diff = record->is_diff;
    if (record->multi_file) {
      job.image_dir = journal.image_dir(device.key());
    } else {
      job.image = journal.image_dir(device.key()) / record->files.front().name;
    }
  }
  return job;
}

ImageInstaller::ImageInstaller(asio::any_io_executor loop, asio::any_io_executor blocking_pool,
                               transports::MqttSession& session, CloudRpc& rpc, DeviceStateStore& state,
                               JobJournal& journal, StagedImages& staged)
    : loop_(std::move(loop)),
      blocking_pool_(std::move(blocking_pool)),
      session_(session),
      rpc_(rpc),
      state_(state),
      journal_(journal),
      staged_(staged) {}

void ImageInstaller::show(const Subdevice& device, const ModuleSpec& module, DeviceActivity activity,
                          const std::string& version) {
  if (status_ != nullptr) status_->set_activity(device.key(), module.name, activity, version);
}

asio::awaitable<void> ImageInstaller::report_version(const Subdevice& device, const ModuleSpec& module,
                                                     const std::string& version, const OnlineGate* gate) {
  nlohmann::json params = {{"version", version}};
  if (!module.name.empty()) params["module"] = module.name;
  const nlohmann::json inform = {{"id", rpc_.next_id()}, {"params", std::move(params)}};
  const auto topic = topics::ota_inform(device.product_key, device.device_name);
  // After a reconnect the device is logged in again first: the platform
  // drops the inform of a sub-device it holds offline.
  if (session_.state() != transports::MqttState::connected || (gate && gate->current && !gate->current())) {
    show(device, module, DeviceActivity::reporting);
  }
  (void)co_await ready_to_publish(
      session_, gate, std::chrono::duration_cast<std::chrono::milliseconds>(ProgressReporter::kFinalReportWait));
  if (status_ != nullptr) status_->set_version(device.key(), module.name, version);
  const auto ec = co_await session_.async_publish(topic, json_text(inform), 1, asio::use_awaitable);
  if (ec) {
    device_log::warn(device.display_name(), "", "sub-device {}: version {} not reported: {}", device.display_name(),
                     log_text(version), ec.message());
  }
}

asio::awaitable<std::optional<std::string>> ImageInstaller::mismatch_on_disk(JobRecord record,
                                                                             std::vector<std::string> kept) {
  const auto method = transports::parse_digest_method(record.sign_method);
  const auto image_dir = journal_.image_dir(record.device_key);
  for (const JobFile& file : record.files) {
    if (std::find(kept.begin(), kept.end(), file.name) == kept.end()) continue;
    const auto path = image_dir / file.name;
    std::error_code missing;
    const auto size = std::filesystem::file_size(path, missing);
    if (missing) co_return file.name + ": " + missing.message();
    if (size != file.size) {
      co_return file.name + ": size " + std::to_string(size) + ", expected " + std::to_string(file.size);
    }
    if (!method) co_return file.name + ": unknown sign method " + record.sign_method;
    auto hash_file = [path, method = *method] { return transports::file_digest_hex(path, method); };
    auto digest = co_await transports::run_blocking(blocking_pool_, std::move(hash_file));
    if (!digest || ascii_lowercase(*digest) != file.sign) {
      co_return file.name + ": " + record.sign_method + " mismatch on disk";
    }
  }
  co_return std::nullopt;
}

asio::awaitable<void> ImageInstaller::end_job(const Subdevice& device, const ModuleSpec& module, std::string version) {
  // State first, then the journal: a crash in between resumes the job and
  // asks the device again; the other order would leave the old version in
  // the state for good, with nothing left to correct it.
  state_.at(device.key()).installed_versions[module.name] = std::move(version);
  state_.mark_dirty();
  const std::error_code saved = co_await state_.async_save(blocking_pool_);
  if (saved) {
    // Keeping the journal is the only record of the new version: the next
    // start resumes, finds the target on the device and saves again.
    device_log::error(device.display_name(), "", "sub-device {}: state not saved ({}); the job stays journaled",
                      device.display_name(), saved.message());
    co_return;
  }
  journal_.remove(device.key());
}

asio::awaitable<JobOutcome> ImageInstaller::install(JobRecord record, InstallTarget target,
                                                    std::vector<std::string> kept) {
  const Subdevice& device = target.device;
  const ModuleSpec& module = target.module;
  ProgressReporter& progress = target.progress;
  if (target.runner == nullptr) {
    co_await progress.failed(FailureStep::flashing_failed, "no plugin '" + module.plugin + "'");
    journal_.remove(device.key());
    co_return JobOutcome::failed;
  }
  PluginRunner& runner = *target.runner;
  PluginJob job = make_plugin_job(device, module, &record, journal_, state_);
  // From here until the result is reported the daemon does not exit: a stop
  // waits for the flash and its report (see installing()).
  struct Installing {
    int& count;
    explicit Installing(int& c) : count(c) { ++count; }
    ~Installing() { --count; }
  } installing(installing_);

  PluginJob query = job;
  query.image.clear();
  query.image_dir.clear();
  // After a crash in `flashing` or `confirming` the device may already run the target.
  if (record.phase == JobPhase::flashing || record.phase == JobPhase::confirming) {
    const auto version = co_await runner.version(query);
    if (version && *version == record.target_version) {
      device_log::info(device.display_name(), record.target_version,
                       "sub-device {}: already at {} (flashed before the restart)", device.display_name(),
                       log_text(*version));
      co_await report_version(device, module, *version, target.gate);
      co_await end_job(device, module, *version);
      co_return JobOutcome::installed;
    }
  }
  if (record.phase == JobPhase::confirming) {
    // The plugin had flashed before the restart; the device may still be
    // coming up with the image. Flashing it again could only hurt.
    device_log::info(device.display_name(), record.target_version, "sub-device {}: confirming {}, flashed before the restart",
                     device.display_name(), record.target_version);
    co_return co_await confirm_and_report(std::move(record), target, std::move(query));
  }
  if (record.flash_attempts >= JobJournal::kMaxFlashAttempts) {
    const std::string why = "gave up after " + std::to_string(record.flash_attempts) + " interrupted flash attempts";
    device_log::error(device.display_name(), record.target_version, "sub-device {}: {}", device.display_name(), why);
    co_await progress.failed(FailureStep::flashing_failed, why);
    journal_.remove(device.key());
    co_return JobOutcome::failed;
  }
  // The last look before the plugin runs: bytes kept across a restart or
  // shared with another job are hashed again from disk.
  if (!kept.empty()) show(device, module, DeviceActivity::verifying, record.target_version);
  const auto mismatch = co_await mismatch_on_disk(record, std::move(kept));
  if (mismatch) {
    device_log::error(device.display_name(), record.target_version,
                      "sub-device {}: kept image fails verification, not flashing: {}", device.display_name(),
                      log_text(*mismatch));
    co_await progress.failed(FailureStep::verification_failed, "kept image damaged: " + *mismatch);
    for (const JobFile& file : record.files) staged_.discard(file.sign);
    journal_.remove(device.key());
    co_return JobOutcome::failed;
  }
  record.phase = JobPhase::flashing;
  ++record.flash_attempts;
  const std::error_code journaled = co_await journal_.save(record, blocking_pool_);
  if (journaled) {
    device_log::error(device.display_name(), record.target_version,
                      "sub-device {}: cannot write the job journal {} (phase {}): {}", device.display_name(),
                      (journal_.job_dir(device.key()) / "job.json").string(), to_string(record.phase),
                      journaled.message());
    co_await progress.failed(FailureStep::flashing_failed, "gateway cannot write its state: " + journaled.message());
    journal_.remove(device.key());
    co_return JobOutcome::failed;
  }

  device_log::info(device.display_name(), record.target_version, "sub-device {}: flashing {} with plugin '{}'",
                   device.display_name(), record.target_version, module.plugin);
  show(device, module, DeviceActivity::flashing, record.target_version);
  auto on_progress = [name = device.display_name(), version = record.target_version, key = device.key(),
                      module_name = module.name, status = status_](int percent) {
    device_log::debug(name, version, "sub-device {}: flashing {} %", name, percent);
    if (status != nullptr) status->set_flash_progress(key, module_name, percent);
  };
  const FlashOutcome outcome = co_await runner.flash(job, std::move(on_progress));
  if (!outcome.flashed) {
    device_log::warn(device.display_name(), record.target_version, "sub-device {}: flashing {} failed: {}",
                     device.display_name(), record.target_version, log_text(outcome.detail));
    co_await progress.failed(FailureStep::flashing_failed, "plugin '" + module.plugin + "': " + outcome.detail);
    journal_.remove(device.key());
    co_return JobOutcome::failed;
  }

  // From here a restart confirms the flash instead of making it again.
  record.phase = JobPhase::confirming;
  const std::error_code confirming = co_await journal_.save(record, blocking_pool_);
  if (confirming) {
    // The flash is made: the job goes on. A crash before its end finds the
    // `flashing` entry and flashes again unless the device runs the target.
    device_log::error(device.display_name(), record.target_version,
                      "sub-device {}: cannot write the job journal {} (phase {}): {}", device.display_name(),
                      (journal_.job_dir(device.key()) / "job.json").string(), to_string(record.phase),
                      confirming.message());
  }
  co_return co_await confirm_and_report(std::move(record), target, std::move(query));
}

asio::awaitable<JobOutcome> ImageInstaller::confirm_and_report(JobRecord record, InstallTarget target,
                                                               PluginJob query) {
  const Subdevice& device = target.device;
  const ModuleSpec& module = target.module;
  query.current_version = record.target_version;
  show(device, module, DeviceActivity::confirming, record.target_version);
  const std::optional<std::string> runs = co_await confirm_flash(*target.runner, query, record.target_version);
  if (runs && *runs != record.target_version) {
    // The plugin said it flashed, the device says otherwise: never reported
    // as the target. What it runs is reported, so the platform knows.
    const std::string why = "device runs " + *runs + " after flashing " + record.target_version;
    device_log::warn(device.display_name(), record.target_version, "sub-device {}: {}", device.display_name(),
                     log_text(why));
    co_await target.progress.failed(FailureStep::flashing_failed, why);
    co_await report_version(device, module, *runs, target.gate);
    co_await end_job(device, module, *runs);
    co_return JobOutcome::failed;
  }
  const std::string version = record.target_version;
  co_await report_version(device, module, version, target.gate);
  co_await end_job(device, module, version);
  device_log::info(device.display_name(), version, "sub-device {}: now at {}", device.display_name(), log_text(version));
  co_return JobOutcome::installed;
}

// Asks the plugin's `version` at once, then every kConfirmInterval (leaving
// the device alone between calls), until it answers the target or the
// plugin's confirm_timeout_s has passed. The last definite answer, or nullopt
// when the plugin cannot tell (asked once: a plugin that never tells is not
// asked again), which counts as confirmed.
asio::awaitable<std::optional<std::string>> ImageInstaller::confirm_flash(PluginRunner& runner, PluginJob query,
                                                                         std::string target) {
  constexpr std::chrono::seconds kConfirmInterval{5};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(runner.plugin().confirm_timeout_s);
  for (;;) {
    std::optional<std::string> told = co_await runner.version(query);
    const auto now = std::chrono::steady_clock::now();
    if (!told || *told == target || now >= deadline) co_return told;
    device_log::info(query.display_name(), target, "sub-device {}: reports {} after flashing {}; asking again",
                     query.display_name(), log_text(*told), target);
    asio::steady_timer timer(loop_, std::min<std::chrono::steady_clock::duration>(kConfirmInterval, deadline - now));
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

}  // namespace otagw::subdev
