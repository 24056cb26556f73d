#include "subdev/firmware_jobs.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>

#include <spdlog/spdlog.h>

#include "subdev/json_text.hpp"
#include "subdev/topics.hpp"
#include "transports/backoff.hpp"
#include "transports/blocking_call.hpp"
#include "transports/device_log.hpp"
#include "transports/digest.hpp"
#include "transports/log_text.hpp"

namespace otagw::subdev {
namespace {

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

bool scheme_allowed(const std::string& url, bool allow_http) {
  const std::string lower = lowercase(url.substr(0, 8));
  return lower.starts_with("https://") || (allow_http && lower.starts_with("http://"));
}

// Errors worth another attempt: the network, the server's 5xx, a stall. Not
// a refused scheme or host (scheme_refused, host_refused): waiting does not
// change the URL.
bool is_transient(std::error_code ec, long http_status) {
  using transports::DownloadErrc;
  if (ec == DownloadErrc::http_status) return http_status >= 500 || http_status == 408 || http_status == 429;
  return ec == DownloadErrc::timed_out || ec == DownloadErrc::connect_failed ||
         ec == DownloadErrc::size_mismatch || ec == DownloadErrc::transfer_failed || ec == DownloadErrc::tls_failed;
}

bool is_expired_url(std::error_code ec, long http_status) {
  return ec == transports::DownloadErrc::http_status && (http_status == 403 || http_status == 404 || http_status == 410);
}

struct Validation {
  std::optional<JobRecord> record;
  FailureStep step = FailureStep::upgrade_failed;
  std::string why;
};

// The offer (converted and checked by the message seam) as a journal record,
// or why this gateway will not take it: its policy on transports, schemes
// and sizes.
Validation validate(const Subdevice& device, const ModuleSpec& module, const FirmwareOffer& offer,
                    const FirmwareJobsOptions& options) {
  Validation v;
  if (offer.mqtt_stream) {
    v.why = "MQTT stream download (dProtocol \"mqtt\") is not supported by this gateway";
    return v;
  }
  JobRecord record;
  record.device_key = device.key();
  record.module = module.name;
  record.target_version = offer.version;
  record.sign_method = std::string(transports::to_string(offer.sign_method));
  record.is_diff = offer.is_diff;
  record.ext_data = offer.ext_data;
  record.multi_file = offer.multi_file;
  for (const FirmwareFile& file : offer.files) {
    if (!scheme_allowed(file.url, options.allow_http)) {
      v.step = FailureStep::download_failed;
      v.why = "firmware URL scheme refused (only https" + std::string(options.allow_http ? " and http" : "") + ")";
      return v;
    }
    record.files.push_back({file.name, file.url, file.size, file.sign});
  }
  const std::uint64_t total = offer.total_size();
  if (total > options.max_image_bytes) {
    v.step = FailureStep::download_failed;
    v.why = "package of " + std::to_string(total) + " bytes exceeds ota.max_image_bytes";
    return v;
  }
  v.record = std::move(record);
  return v;
}

bool same_package(const JobRecord& a, const JobRecord& b) {
  if (a.module != b.module || a.target_version != b.target_version || a.files.size() != b.files.size()) return false;
  for (std::size_t i = 0; i < a.files.size(); ++i) {
    if (a.files[i].name != b.files[i].name || a.files[i].sign != b.files[i].sign || a.files[i].size != b.files[i].size) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view to_string(JobOutcome outcome) noexcept {
  switch (outcome) {
    case JobOutcome::installed: return "installed";
    case JobOutcome::failed: return "failed";
    case JobOutcome::interrupted: return "interrupted";
  }
  return "unknown";
}

FirmwareJobs::FirmwareJobs(asio::any_io_executor loop, asio::any_io_executor blocking_pool,
                           transports::MqttSession& session, CloudRpc& rpc, DeviceStateStore& state,
                           const std::map<std::string, config::PluginConfig>& plugins, FirmwareJobsOptions options)
    : loop_(loop),
      blocking_pool_(blocking_pool),
      session_(session),
      rpc_(rpc),
      state_(state),
      options_(std::move(options)),
      downloader_(loop, blocking_pool),
      journal_(options_.state_dir / "jobs"),
      plugin_runs_((options_.runtime_dir.empty() ? options_.state_dir : options_.runtime_dir) / "plugin-runs") {
  // Start-up, with state_dir locked and before any plugin runs: what an
  // earlier daemon's plugins left running must not touch a device again.
  plugin_runs_.end_orphans();
  for (const auto& [name, plugin] : plugins) {
    runners_.emplace(name, std::make_shared<PluginRunner>(loop, plugin, options_.plugin_host, &plugin_runs_));
  }
  // Start-up, before any job runs: nothing under jobs/ or cache/ outlives
  // what explains it (the cache only lives for a pass).
  if (const std::size_t removed = journal_.remove_unexplained(); removed > 0) {
    spdlog::info("removed {} leftover(s) under {} that no job journal explains", removed,
                 (options_.state_dir / "jobs").string());
  }
  std::error_code ignored;
  std::filesystem::remove_all(options_.state_dir / "cache", ignored);
}

FirmwareJobs::~FirmwareJobs() = default;

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
}

void FirmwareJobs::show(const Subdevice& device, const ModuleSpec& module, DeviceActivity activity,
                        const std::string& target) {
  if (status_ != nullptr) status_->set_activity(device.key(), module.name, activity, target);
}

std::shared_ptr<PluginRunner> FirmwareJobs::runner_for(const ModuleSpec& module) {
  const auto it = runners_.find(module.plugin);
  return it == runners_.end() ? nullptr : it->second;
}

std::filesystem::path FirmwareJobs::shared_image(const std::string& sign) const {
  return options_.state_dir / "cache" / sign;
}

// The cache holds hard links to the last verified package only: identical
// devices usually come one after another in a sweep, and a gateway's flash is
// small, so older images are not kept alive until the end of the pass.
void FirmwareJobs::keep_only_in_cache(const std::vector<JobFile>& files) const {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.state_dir / "cache", ec)) {
    const auto name = entry.path().filename().string();
    const bool wanted = std::any_of(files.begin(), files.end(), [&name](const JobFile& file) { return file.sign == name; });
    std::error_code ignored;
    if (!wanted) std::filesystem::remove(entry.path(), ignored);
  }
}

PluginJob FirmwareJobs::plugin_job(const Subdevice& device, const ModuleSpec& module, const JobRecord* record) const {
  PluginJob job;
  job.product_key = device.product_key;
  job.device_name = device.device_name;
  job.module = module.name;
  job.params = module.params.is_object() ? module.params : nlohmann::json::object();
  job.work_dir = journal_.job_dir(device.key());
  const DeviceState* known = state_.find(device.key());
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
      job.image_dir = journal_.image_dir(device.key());
    } else {
      job.image = journal_.image_dir(device.key()) / record->files.front().name;
    }
  }
  return job;
}

asio::awaitable<std::optional<std::string>> FirmwareJobs::plugin_version(const Subdevice& device,
                                                                         const ModuleSpec& module) {
  const std::shared_ptr<PluginRunner> runner = runner_for(module);
  if (runner == nullptr) co_return std::nullopt;
  std::error_code ignored;
  const auto work_dir = journal_.job_dir(device.key());
  const bool had_job = std::filesystem::exists(work_dir, ignored);
  std::filesystem::create_directories(work_dir, ignored);
  auto version = co_await runner->version(plugin_job(device, module, nullptr));
  // The plugin's working directory was made for this query only: it goes
  // with it, or every queried device would leave one under jobs/.
  if (!had_job) std::filesystem::remove_all(work_dir, ignored);
  co_return version;
}

void FirmwareJobs::drop_withdrawn(const Subdevice& device, const ModuleSpec& module) {
  const auto record = journal_.load(device.key());
  if (!record || record->module != module.name || record->phase != JobPhase::downloading) return;
  device_log::info(device.display_name(), record->target_version,
                   "sub-device {}: the cloud no longer offers {}: its staged download is dropped", device.display_name(),
                   record->target_version);
  journal_.remove(device.key());
}

asio::awaitable<void> FirmwareJobs::refuse(const Subdevice& device, const ModuleSpec& module, std::string why) {
  device_log::warn(device.display_name(), "", "sub-device {}: offer refused: {}", device.display_name(), log_text(why));
  ProgressReporter progress(session_, rpc_, device.product_key, device.device_name, module.name, &online_gate_, status_);
  co_await progress.failed(FailureStep::upgrade_failed, std::move(why));
}

asio::awaitable<void> FirmwareJobs::report_version(const Subdevice& device, const ModuleSpec& module,
                                                   const std::string& version) {
  nlohmann::json params = {{"version", version}};
  if (!module.name.empty()) params["module"] = module.name;
  const nlohmann::json inform = {{"id", rpc_.next_id()}, {"params", std::move(params)}};
  const auto topic = topics::ota_inform(device.product_key, device.device_name);
  // After a reconnect the device is logged in again first: the platform
  // drops the inform of a sub-device it holds offline.
  if (session_.state() != transports::MqttState::connected || (online_gate_.current && !online_gate_.current())) {
    show(device, module, DeviceActivity::reporting);
  }
  (void)co_await ready_to_publish(
      session_, &online_gate_,
      std::chrono::duration_cast<std::chrono::milliseconds>(ProgressReporter::kFinalReportWait));
  if (status_ != nullptr) status_->set_version(device.key(), module.name, version);
  const auto ec = co_await session_.async_publish(topic, json_text(inform), 1, asio::use_awaitable);
  if (ec) {
    device_log::warn(device.display_name(), "", "sub-device {}: version {} not reported: {}", device.display_name(),
                     log_text(version), ec.message());
  }
}

asio::awaitable<std::optional<JobOutcome>> FirmwareJobs::finish_interrupted(const Subdevice& device,
                                                                           const ModuleSpec& module) {
  auto record = journal_.load(device.key());
  if (!record || record->module != module.name) co_return std::nullopt;
  // Resumed when the cloud offers it again.
  if (record->phase == JobPhase::downloading) co_return std::nullopt;
  device_log::info(device.display_name(), record->target_version,
                   "sub-device {}: resuming the job for {} interrupted in phase {}", device.display_name(),
                   record->target_version, to_string(record->phase));
  show(device, module, DeviceActivity::verifying, record->target_version);
  ProgressReporter progress(session_, rpc_, device.product_key, device.device_name, module.name, &online_gate_, status_);
  // The image lay on disk while no daemon watched it: hashed again.
  std::vector<std::string> kept;
  for (const JobFile& file : record->files) kept.push_back(file.name);
  co_return co_await flash_verified(std::move(*record), device, module, progress, std::move(kept));
}

asio::awaitable<JobOutcome> FirmwareJobs::run(const Subdevice& device, const ModuleSpec& module, FirmwareOffer offer,
                                              std::string current_version, Requery requery) {
  // An offer this gateway refuses is no job and does not count below.
  Validation validation = validate(device, module, offer, options_);
  if (!validation.record) {
    device_log::warn(device.display_name(), offer.version, "sub-device {}: offer of {} refused: {}", device.display_name(),
                     offer.version, log_text(validation.why));
    ProgressReporter progress(session_, rpc_, device.product_key, device.device_name, module.name, &online_gate_, status_);
    co_await progress.failed(validation.step, validation.why);
    co_return JobOutcome::failed;
  }
  const std::string target = offer.version;
  if (const auto* known = state_.find(device.key()); known != nullptr) {
    const auto it = known->failed_targets.find(module.name);
    if (it != known->failed_targets.end() && it->second.version == target && it->second.jobs >= kMaxFailedJobs) {
      // Each attempt costs a download and a flash of the device; the cloud
      // is told once per offer, and a new target starts afresh.
      const std::string why = "firmware " + target + " failed " + std::to_string(it->second.jobs) +
                              " jobs in a row on this device: not tried again until the offer changes";
      device_log::warn(device.display_name(), target, "sub-device {}: {}", device.display_name(), why);
      ProgressReporter progress(session_, rpc_, device.product_key, device.device_name, module.name, &online_gate_, status_);
      co_await progress.failed(FailureStep::upgrade_failed, why);
      co_return JobOutcome::failed;
    }
  }
  JobRecord record = std::move(*validation.record);
  record.previous_version = std::move(current_version);
  const JobOutcome outcome = co_await run_job(device, module, std::move(record), std::move(requery));
  auto& failed = state_.at(device.key()).failed_targets;
  if (outcome == JobOutcome::failed) {
    auto& entry = failed[module.name];
    if (entry.version != target) entry = {target, 0};
    ++entry.jobs;
    state_.mark_dirty();
  } else if (outcome == JobOutcome::installed && failed.erase(module.name) > 0) {
    state_.mark_dirty();
  }
  co_return outcome;
}

asio::awaitable<JobOutcome> FirmwareJobs::run_job(const Subdevice& device, const ModuleSpec& module, JobRecord record,
                                                  Requery requery) {
  ProgressReporter progress(session_, rpc_, device.product_key, device.device_name, module.name, &online_gate_, status_);
  if (stopping_) co_return JobOutcome::interrupted;

  // A journaled download of the same package keeps its bytes; anything else
  // journaled for this device is stale.
  const auto previous = journal_.load(device.key());
  if (previous && !(previous->phase == JobPhase::downloading && same_package(*previous, record))) {
    journal_.remove(device.key());
  } else if (!previous) {
    // Staged bytes that no readable journal vouches for (its journal was
    // moved aside as job.json.broken, which stays) are not resumed from.
    std::error_code unvouched;
    std::filesystem::remove_all(journal_.image_dir(device.key()), unvouched);
  }
  // (co_await results go to variables: g++ 12 miscompiles one in a condition.)
  const std::error_code journaled = co_await journal_.save(record, blocking_pool_);
  if (journaled) {
    co_await journal_failed(device, record, journaled, FailureStep::download_failed, progress);
    co_return JobOutcome::failed;
  }
  if (status_ != nullptr) status_->set_error(device.key(), module.name, "");
  show(device, module, DeviceActivity::downloading, record.target_version);
  device_log::info(device.display_name(), record.target_version, "sub-device {}: firmware {} -> {} ({} file(s), {})",
                   device.display_name(), record.previous_version, record.target_version, record.files.size(),
                   record.sign_method);

  std::uint64_t total = 0;
  for (const JobFile& file : record.files) total += file.size;
  std::uint64_t done = 0;
  // Files linked from the cache rather than streamed now: their bytes were
  // verified for another device and are hashed again before the flash.
  std::vector<std::string> kept;
  const auto image_dir = journal_.image_dir(device.key());
  std::error_code ignored;
  std::filesystem::create_directories(image_dir, ignored);
  for (const JobFile& file : record.files) {
    const auto path = image_dir / file.name;
    const auto cached = shared_image(file.sign);
    if (std::filesystem::exists(cached) && std::filesystem::file_size(cached, ignored) == file.size) {
      // The same package was verified for another device in this pass.
      std::filesystem::remove(path, ignored);
      std::filesystem::create_hard_link(cached, path, ignored);
      if (!ignored) {
        device_log::info(device.display_name(), record.target_version, "sub-device {}: {} already downloaded in this pass",
                         device.display_name(), file.name);
        kept.push_back(file.name);
        done += file.size;
        continue;
      }
    }
    std::string detail;
    const DownloadStatus status = co_await download_file(file, record, done, total, progress, requery, detail);
    if (status == DownloadStatus::interrupted) co_return JobOutcome::interrupted;
    if (status != DownloadStatus::complete) {
      // The staging file's path is for the log (a disk error names it), not
      // for the cloud.
      device_log::warn(device.display_name(), record.target_version, "sub-device {}: download of {} to {} failed: {}",
                       device.display_name(), file.name, path.string(), log_text(detail));
      const FailureStep step =
          status == DownloadStatus::digest_mismatch ? FailureStep::verification_failed : FailureStep::download_failed;
      co_await progress.failed(step, detail);
      journal_.remove(device.key());
      co_return JobOutcome::failed;
    }
    done += file.size;
  }

  show(device, module, DeviceActivity::verifying);
  // A streamed file is verified: the downloader hashed exactly the bytes it
  // wrote and fsynced (a resumed download re-hashes the prefix it kept), and
  // download_file compared that digest with the offer. Reading the file
  // again would only double the disk time for the same answer.
  for (const JobFile& file : record.files) {
    const auto path = image_dir / file.name;
    ::chmod(path.c_str(), 0444);  // the plugin gets a read-only image
    std::filesystem::create_directories(shared_image(file.sign).parent_path(), ignored);
    if (!std::filesystem::exists(shared_image(file.sign))) {
      std::filesystem::create_hard_link(path, shared_image(file.sign), ignored);
    }
  }
  keep_only_in_cache(record.files);  // every file verified: the previous package can go
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
    co_await journal_failed(device, record, verified_saved, FailureStep::flashing_failed, progress);
    co_return JobOutcome::failed;
  }
  co_return co_await flash_verified(std::move(record), device, module, progress, std::move(kept));
}

// A journal entry that could not be written (disk full, read-only, I/O
// error): logged with the path and the errno text, reported with the step of
// what cannot go on (the cloud gets no local path), and the job's files go.
asio::awaitable<void> FirmwareJobs::journal_failed(const Subdevice& device, const JobRecord& record,
                                                   std::error_code ec, FailureStep step, ProgressReporter& progress) {
  device_log::error(device.display_name(), record.target_version,
                    "sub-device {}: cannot write the job journal {} (phase {}): {}", device.display_name(),
                    (journal_.job_dir(device.key()) / "job.json").string(), to_string(record.phase), ec.message());
  co_await progress.failed(step, "gateway cannot write its state: " + ec.message());
  journal_.remove(device.key());
}

asio::awaitable<FirmwareJobs::DownloadStatus> FirmwareJobs::download_file(const JobFile& file, const JobRecord& record,
                                                             std::uint64_t done_before, std::uint64_t total,
                                                             ProgressReporter& progress, Requery& requery,
                                                             std::string& detail) {
  transports::Backoff backoff(std::chrono::seconds(1), std::chrono::seconds(30));
  const auto deadline = std::chrono::steady_clock::now() + options_.download_retry_budget;
  std::string url = file.url;
  bool requeried = false;
  const auto staging = journal_.image_dir(record.device_key) / file.name;
  for (;;) {
    std::error_code none_yet;
    std::uint64_t held = std::filesystem::file_size(staging, none_yet);
    if (none_yet) held = 0;
    transports::DownloadRequest request;
    request.url = url;
    request.file = staging;
    request.expected_size = file.size;
    request.max_bytes = options_.max_image_bytes;
    request.digest = *transports::parse_digest_method(record.sign_method);
    request.ca_file = options_.download_ca_file;
    request.allow_http = options_.allow_http;
    request.allowed_hosts = options_.allowed_download_hosts;
    request.low_speed_timeout = options_.low_speed_timeout;
    request.on_progress = [&progress, done_before, total](std::uint64_t done, std::uint64_t) {
      progress.on_download_progress(done_before + done, total);
    };
    auto [ec, result] = co_await downloader_.async_download(std::move(request), asio::use_awaitable);
    if (!ec) {
      if (lowercase(result.digest_hex) != file.sign) {
        // The digest of bytes nobody offered stays here: the cloud's desc
        // only says that they did not match.
        device_log::warn(display_name_of_key(record.device_key), record.target_version,
                         "sub-device {}: {} fetched with {} {}, the offer says {}", record.device_key, file.name,
                         record.sign_method, result.digest_hex, file.sign);
        detail = file.name + ": " + record.sign_method + " mismatch";
        co_return DownloadStatus::digest_mismatch;
      }
      co_return DownloadStatus::complete;
    }
    detail = ec.message() + (result.http_status ? " (HTTP " + std::to_string(result.http_status) + ")" : "") +
             (result.error_detail.empty() ? "" : ": " + result.error_detail);
    if (stopping_ || ec == transports::DownloadErrc::cancelled) co_return DownloadStatus::interrupted;
    if (is_expired_url(ec, result.http_status) && requery && !requeried) {
      // Signed URLs expire after about a day: ask for the same package again.
      requeried = true;
      device_log::info(display_name_of_key(record.device_key), record.target_version,
                       "sub-device {}: {} refused ({}); asking the cloud for a fresh URL", record.device_key, file.name,
                       result.http_status);
      auto fresh = co_await requery();
      if (fresh && fresh->version == record.target_version && !record.multi_file && !fresh->multi_file &&
          fresh->files.size() == 1 && fresh->files.front().sign == file.sign) {
        url = fresh->files.front().url;
        continue;
      }
      co_return DownloadStatus::failed;
    }
    // An attempt that added bytes found the server up and was cut off (a
    // drop, a stall): the next one comes after the shortest delay again. A
    // back-off doubling across such drops waited up to 30 s after each and
    // spent the retry budget of a download that kept progressing.
    if (result.restarted ? result.bytes > 0 : result.bytes > held) backoff.reset();
    const auto delay = backoff.next();
    if (!is_transient(ec, result.http_status) || std::chrono::steady_clock::now() + delay > deadline) {
      co_return DownloadStatus::failed;
    }
    device_log::info(display_name_of_key(record.device_key), record.target_version,
                     "sub-device {}: download of {} failed ({}); retrying in {:.1f} s", record.device_key, file.name,
                     log_text(detail), std::chrono::duration<double>(delay).count());
    asio::steady_timer timer(loop_, delay);
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

asio::awaitable<std::optional<std::string>> FirmwareJobs::mismatch_on_disk(JobRecord record,
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
    if (!digest || lowercase(*digest) != file.sign) co_return file.name + ": " + record.sign_method + " mismatch on disk";
  }
  co_return std::nullopt;
}

asio::awaitable<void> FirmwareJobs::end_job(const Subdevice& device, const ModuleSpec& module, std::string version) {
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

asio::awaitable<JobOutcome> FirmwareJobs::flash_verified(JobRecord record, const Subdevice& device,
                                                         const ModuleSpec& module, ProgressReporter& progress,
                                                         std::vector<std::string> kept) {
  const std::shared_ptr<PluginRunner> runner = runner_for(module);
  if (runner == nullptr) {
    co_await progress.failed(FailureStep::flashing_failed, "no plugin '" + module.plugin + "'");
    journal_.remove(device.key());
    co_return JobOutcome::failed;
  }
  PluginJob job = plugin_job(device, module, &record);
  // From here until the result is reported the daemon does not exit: a stop
  // waits for the flash and its report (see flashing()).
  struct Installing {
    int& count;
    explicit Installing(int& c) : count(c) { ++count; }
    ~Installing() { --count; }
  } installing(flashing_);

  PluginJob query = job;
  query.image.clear();
  query.image_dir.clear();
  // After a crash in `flashing` or `confirming` the device may already run the target.
  if (record.phase == JobPhase::flashing || record.phase == JobPhase::confirming) {
    const auto version = co_await runner->version(query);
    if (version && *version == record.target_version) {
      device_log::info(device.display_name(), record.target_version,
                       "sub-device {}: already at {} (flashed before the restart)", device.display_name(),
                       log_text(*version));
      co_await report_version(device, module, *version);
      co_await end_job(device, module, *version);
      co_return JobOutcome::installed;
    }
  }
  if (record.phase == JobPhase::confirming) {
    // The plugin had flashed before the restart; the device may still be
    // coming up with the image. Flashing it again could only hurt.
    device_log::info(device.display_name(), record.target_version, "sub-device {}: confirming {}, flashed before the restart",
                     device.display_name(), record.target_version);
    co_return co_await confirm_and_report(std::move(record), device, module, progress, *runner, std::move(query));
  }
  if (record.flash_attempts >= JobJournal::kMaxFlashAttempts) {
    const std::string why = "gave up after " + std::to_string(record.flash_attempts) + " interrupted flash attempts";
    device_log::error(device.display_name(), record.target_version, "sub-device {}: {}", device.display_name(), why);
    co_await progress.failed(FailureStep::flashing_failed, why);
    journal_.remove(device.key());
    co_return JobOutcome::failed;
  }
  // The last look before the plugin runs: bytes kept across a restart or
  // shared through the cache are hashed again from disk.
  if (!kept.empty()) show(device, module, DeviceActivity::verifying, record.target_version);
  const auto mismatch = co_await mismatch_on_disk(record, std::move(kept));
  if (mismatch) {
    device_log::error(device.display_name(), record.target_version,
                      "sub-device {}: kept image fails verification, not flashing: {}", device.display_name(),
                      log_text(*mismatch));
    co_await progress.failed(FailureStep::verification_failed, "kept image damaged: " + *mismatch);
    std::error_code ignored;
    for (const JobFile& file : record.files) std::filesystem::remove(shared_image(file.sign), ignored);
    journal_.remove(device.key());
    co_return JobOutcome::failed;
  }
  record.phase = JobPhase::flashing;
  ++record.flash_attempts;
  const std::error_code journaled = co_await journal_.save(record, blocking_pool_);
  if (journaled) {
    co_await journal_failed(device, record, journaled, FailureStep::flashing_failed, progress);
    co_return JobOutcome::failed;
  }

  device_log::info(device.display_name(), record.target_version, "sub-device {}: flashing {} with plugin '{}'",
                   device.display_name(), record.target_version, module.plugin);
  show(device, module, DeviceActivity::flashing, record.target_version);
  auto on_progress = [name = device.display_name(), target = record.target_version, key = device.key(),
                      module_name = module.name, status = status_](int percent) {
    device_log::debug(name, target, "sub-device {}: flashing {} %", name, percent);
    if (status != nullptr) status->set_flash_progress(key, module_name, percent);
  };
  const FlashOutcome outcome = co_await runner->flash(job, std::move(on_progress));
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
  co_return co_await confirm_and_report(std::move(record), device, module, progress, *runner, std::move(query));
}

asio::awaitable<JobOutcome> FirmwareJobs::confirm_and_report(JobRecord record, const Subdevice& device,
                                                             const ModuleSpec& module, ProgressReporter& progress,
                                                             PluginRunner& runner, PluginJob query) {
  query.current_version = record.target_version;
  show(device, module, DeviceActivity::confirming, record.target_version);
  const std::optional<std::string> runs = co_await confirm_flash(runner, query, record.target_version);
  if (runs && *runs != record.target_version) {
    // The plugin said it flashed, the device says otherwise: never reported
    // as the target. What it runs is reported, so the platform knows.
    const std::string why = "device runs " + *runs + " after flashing " + record.target_version;
    device_log::warn(device.display_name(), record.target_version, "sub-device {}: {}", device.display_name(),
                     log_text(why));
    co_await progress.failed(FailureStep::flashing_failed, why);
    co_await report_version(device, module, *runs);
    co_await end_job(device, module, *runs);
    co_return JobOutcome::failed;
  }
  const std::string version = record.target_version;
  co_await report_version(device, module, version);
  co_await end_job(device, module, version);
  device_log::info(device.display_name(), version, "sub-device {}: now at {}", device.display_name(), log_text(version));
  co_return JobOutcome::installed;
}

// Asks the plugin's `version` at once, then every kConfirmInterval (leaving
// the device alone between calls), until it answers the target or the
// plugin's confirm_timeout_s has passed. The last definite answer, or nullopt
// when the plugin cannot tell (asked once: a plugin that never tells is not
// asked again), which counts as confirmed.
asio::awaitable<std::optional<std::string>> FirmwareJobs::confirm_flash(PluginRunner& runner, PluginJob query,
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

void FirmwareJobs::end_pass() {
  std::error_code ignored;
  std::filesystem::remove_all(options_.state_dir / "cache", ignored);
}

void FirmwareJobs::stop() {
  stopping_ = true;
  downloader_.cancel_all();
}

}  // namespace otagw::subdev
