#include "subdev/sweeper.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include <spdlog/spdlog.h>

#include "subdev/cloud_message.hpp"
#include "subdev/message_error.hpp"
#include "subdev/subdev_error.hpp"
#include "transports/device_log.hpp"
#include "transports/log_text.hpp"
#include "transports/supervised_task.hpp"

namespace otagw::subdev {
namespace {

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Sweeper::Sweeper(asio::any_io_executor blocking_pool, transports::MqttSession& session, GatewayIdentity gateway,
                 std::shared_ptr<const Registry> registry, DeviceStateStore& state, SweeperOptions options,
                 FleetStatus* status)
    : blocking_pool_(std::move(blocking_pool)),
      session_(session),
      gateway_(gateway),
      registry_(std::move(registry)),
      state_(state),
      options_(options),
      pacer_(options.max_publish_per_s),
      rpc_(session, pacer_),
      topology_(std::move(gateway), rpc_, state, options.reply_timeout),
      channel_(session, rpc_, pacer_, state, options.query_timeout),
      markers_(options.runtime_dir),
      online_(session, topology_, state),
      status_(status),
      work_(session.executor()) {
  if (!options_.plugins.empty()) make_jobs();
}

void Sweeper::make_jobs() {
  jobs_ = std::make_unique<FirmwareJobs>(session_.executor(), blocking_pool_, session_, rpc_, state_, options_.plugins,
                                         options_.jobs);
  jobs_->set_status(status_);
  if (on_task_failure_) jobs_->set_failure_handler(on_task_failure_);
  channel_.set_jobs(jobs_.get());
  JobHooks hooks;
  // A job outlives a reconnect: its reports wait for the online set to be
  // logged in again.
  hooks.gate_for = [this](const std::string&) {
    return OnlineGate{[this] { return online_.current(); },
                      [this]() -> asio::awaitable<bool> { return online_.ensure(); }};
  };
  hooks.take_seat = [this](const std::string& key) { return take_seat(key); };
  hooks.leave_seat = [this](const std::string& key) { return leave_seat(key); };
  hooks.requery = [this](std::string key, std::string module) { return ask_for_job(std::move(key), std::move(module)); };
  hooks.ended = [this](const std::string& key, JobOutcome outcome, bool resumed) {
    on_job_ended(key, outcome, resumed);
  };
  jobs_->set_hooks(std::move(hooks));
}

void Sweeper::set_task_failure_handler(transports::TaskFailureHandler handler) {
  on_task_failure_ = std::move(handler);
  if (jobs_) jobs_->set_failure_handler(on_task_failure_);
}

// Every message from the cloud passes the seam first; past it only types.
void Sweeper::on_message(std::string_view topic, std::string_view payload) {
  auto message = decode_cloud_message(topic, payload, gateway_);
  if (!message) {
    if (message.error().code == MessageErrc::unknown_topic) {
      spdlog::debug("message on unexpected topic {} dropped", log_text(topic));
    } else if (drops_.admit()) {
      spdlog::warn("message on {} dropped: {}", log_text(topic), message.error().message());
    }
    return;
  }
  const TopicMatch& match = message->topic;
  const bool ota_topic = match.kind == CloudTopic::firmware_get_reply || match.kind == CloudTopic::upgrade_push;
  if (auto* reply = std::get_if<PlatformReply>(&message->body)) {
    const std::string id = reply->id;
    if (!rpc_.deliver(match.kind, std::move(*reply)) && drops_.admit()) {
      spdlog::warn("{} with id {} matches no waiting request: dropped", to_string(match.kind), log_text(id));
    }
  } else if (auto* firmware = std::get_if<FirmwareGetReply>(&message->body)) {
    channel_.deliver(match, std::move(*firmware));
  } else if (auto* push = std::get_if<UpgradePush>(&message->body)) {
    channel_.deliver(match, std::move(*push));
  } else if (auto* malformed = std::get_if<MalformedMessage>(&message->body); malformed != nullptr && ota_topic) {
    channel_.deliver(match, std::move(*malformed));
  } else if (malformed != nullptr && drops_.admit()) {
    // A reply to topology add, login or logout that cannot be matched to its
    // request: the request times out and is sent once more.
    spdlog::warn("{} dropped: {}", to_string(match.kind), malformed->error.message());
  }
}

void Sweeper::on_connection_lost() {
  rpc_.wake_all();
  channel_.wake();
  work_.notify_all();
}

void Sweeper::on_connected() {
  // Between passes the wait for the next one is woken to log the online set
  // in again (run_forever); during a pass the pass does it before its next
  // publish.
  if (interval_timer_) interval_timer_->cancel();
  work_.notify_all();
}

void Sweeper::stop(StopReason reason) {
  if (reason == StopReason::internal_error) {
    failed_ = true;
  } else if (const Subdevice* device = channel_.active(); device != nullptr && !failed_) {
    // An orderly stop is no crash, though the visit may outlive the drain (a
    // plugin still answering): its marker goes now.
    markers_.end(device->key());
  }
  stopping_ = true;
  if (jobs_) jobs_->stop();
  for (Requery& requery : requeries_) requery.answer->wake();
  requeries_.clear();
  on_connection_lost();
  if (interval_timer_) interval_timer_->cancel();
  work_.notify_all();
}

void Sweeper::record(const Subdevice& device, const VisitResult& visit, PassReport& report) {
  ++report.visited;
  auto& state = state_.at(device.key());
  state.last_check_ms = wall_clock_ms();
  std::string summary;
  auto count_job = [&report](JobOutcome job) {
    if (job == JobOutcome::installed) ++report.installed;
    if (job == JobOutcome::failed) ++report.jobs_failed;
  };
  for (const ModuleVisit& module : visit.modules) {
    const std::string label = module.module.empty() ? "" : module.module + ": ";
    if (module.job_started) ++report.jobs_started;
    switch (module.outcome) {
      case QueryOutcome::up_to_date: ++report.up_to_date; break;
      case QueryOutcome::offer:
        ++report.offers;
        if (!module.job && !module.job_started) {
          device_log::info(device.display_name(), module.offer->version,
                           "sub-device {}: {}firmware {} offered ({} bytes, {}{})", device.display_name(), label,
                           module.offer->version, module.offer->total_size(),
                           transports::to_string(module.offer->sign_method), module.offer->is_diff ? ", delta" : "");
        } else if (module.job) {
          count_job(*module.job);
        }
        break;
      case QueryOutcome::no_reply:
        ++report.no_reply;
        device_log::warn(device.display_name(), "", "sub-device {}: {}no answer to firmware/get within {} s; moving on",
                         device.display_name(), label,
                         std::chrono::duration_cast<std::chrono::seconds>(options_.query_timeout).count());
        break;
      case QueryOutcome::failed:
        ++report.failed;
        device_log::warn(device.display_name(), "", "sub-device {}: {}query failed: {}", device.display_name(), label,
                         module.detail);
        break;
    }
    std::string result = std::string(to_string(module.outcome));
    if (module.offer) result += " " + module.offer->version;
    if (module.job) result += " " + std::string(to_string(*module.job));
    if (module.job_started) result += " job started";
    if (!summary.empty()) summary += "; ";
    summary += label + result;
    if (status_ != nullptr && module.job_started) {
      // The job shows itself from now on.
      status_->set_version(device.key(), module.module, module.reported_version);
      status_->set_checked(device.key(), module.module, state.last_check_ms);
    } else if (status_ != nullptr) {
      // A failed job said why already (its failure step's desc).
      std::optional<std::string> error;
      const bool job_failed = module.job == JobOutcome::failed;
      if (module.outcome == QueryOutcome::failed) {
        error = module.detail;
      } else if (module.outcome == QueryOutcome::no_reply) {
        error = "no answer to firmware/get within " +
                std::to_string(std::chrono::duration_cast<std::chrono::seconds>(options_.query_timeout).count()) + " s";
      } else if (!job_failed) {
        error = "";
      }
      // The version reported at the visit's start, unless a job installed another since.
      status_->set_version(device.key(), module.module, module.reported_version);
      status_->set_result(device.key(), module.module, state.last_check_ms, std::move(result), std::move(error));
    }
  }
  state.last_result = std::move(summary);
  state_.mark_dirty();
}

asio::awaitable<void> Sweeper::save_state(bool force) {
  if (!state_.dirty()) co_return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_save_ < options_.save_interval) co_return;
  last_save_ = now;
  if (force) {
    // (After a save under way: DeviceStateStore takes one at a time.)
    (void)co_await state_.async_save(blocking_pool_);
    co_return;
  }
  // Nothing the sweep does next needs the state on disk: it goes on while
  // the pool writes and fsyncs (8-40 ms under load here, a fifth of a pass
  // over 1000 devices when the sweep waited for it).
  if (background_saves_ > 0) co_return;  // the next one is due an interval later
  ++background_saves_;
  transports::spawn_supervised(session_.executor(), "device state save", save_in_background(), on_task_failure_,
                               [this] {
                                 --background_saves_;
                                 work_.notify_all();
                               });
}

asio::awaitable<void> Sweeper::save_in_background() { (void)co_await state_.async_save(blocking_pool_); }

asio::awaitable<void> Sweeper::settle_saves() {
  while (background_saves_ > 0) (void)co_await work_.wait_for(std::chrono::milliseconds(100));
}

bool Sweeper::windowed() const noexcept {
  return registry_->devices().size() > std::max<std::size_t>(1, options_.max_online);
}

asio::awaitable<Sweeper::VisitStep> Sweeper::visit_device(SubdevicePtr device, PassReport& report) {
  if (!markers_.begin(*device)) {
    ++report.skipped;
    state_.at(device->key()).last_result = "skipped: otagwd ended during its visit " +
                                           std::to_string(VisitMarkers::kMaxEndsInARow) + " times in a row";
    state_.mark_dirty();
    if (status_ != nullptr) {
      for (const ModuleSpec& module : device->modules) {
        status_->set_result(device->key(), module.name, 0, state_.at(device->key()).last_result, std::nullopt);
      }
    }
    co_return VisitStep::done;
  }
  device_log::debug(device->display_name(), "", "sub-device {}: visiting", device->display_name());
  if (status_ != nullptr) status_->set_device_activity(device->key(), DeviceActivity::visiting);
  // `device` (a shared pointer) keeps the very object this visit and its
  // jobs started with alive, whatever a reload does meanwhile.
  const auto visit_start = std::chrono::steady_clock::now();  // its SUBSCRIBE is the visit's first step
  VisitResult visit = co_await channel_.visit(device);
  if (report.first_visit == std::chrono::steady_clock::time_point{}) report.first_visit = visit_start;
  report.last_visit_end = std::chrono::steady_clock::now();  // after its UNSUBSCRIBE, the visit's last step
  // After an internal error the marker stays for the next start to count,
  // and nothing of the broken visit is recorded.
  if (failed_) co_return VisitStep::failed;
  markers_.end(device->key());
  if (visit.aborted) {
    ++report.resumed;
    if (status_ != nullptr) status_->set_device_activity(device->key(), DeviceActivity::idle);
    device_log::info(device->display_name(), "", "sub-device {}: visit abandoned ({}); resuming there after reconnect",
                     device->display_name(),
                 visit.aborted.message());
    co_return VisitStep::abandoned;
  }
  record(*device, visit, report);
  if (status_ != nullptr) status_->device_visited();
  co_return VisitStep::done;
}

std::string Sweeper::take_check() {
  std::string key = std::move(checks_.front());
  checks_.pop_front();
  return key;
}

std::vector<SubdevicePtr> Sweeper::round_robin(const std::vector<SubdevicePtr>& devices) {
  std::vector<std::string> buses;  // in order of first appearance
  std::map<std::string, std::deque<SubdevicePtr>> by_bus;
  for (const SubdevicePtr& device : devices) {
    auto& queue = by_bus[device->bus];
    if (queue.empty() && std::find(buses.begin(), buses.end(), device->bus) == buses.end()) buses.push_back(device->bus);
    queue.push_back(device);
  }
  std::vector<SubdevicePtr> order;
  order.reserve(devices.size());
  while (order.size() < devices.size()) {
    for (const std::string& bus : buses) {
      auto& queue = by_bus[bus];
      if (queue.empty()) continue;
      order.push_back(std::move(queue.front()));
      queue.pop_front();
    }
  }
  return order;
}

asio::awaitable<PassReport> Sweeper::run_pass(std::chrono::milliseconds reconnect_wait) {
  PassReport report;
  const auto started = std::chrono::steady_clock::now();
  // The first save of the pass is due an interval after its start, not at
  // its first visit: a pass shorter than that saves once, at its end (the
  // state of 2000 devices takes 4 ms of the loop to serialise).
  last_save_ = std::max(last_save_, started);
  struct Running {
    bool& flag;
    explicit Running(bool& f) : flag(f) { flag = true; }
    ~Running() { flag = false; }
  } running(pass_running_);
  co_await apply_reload(nullptr, 0, 0);
  // The pass's own list: a reload appends what it adds; what it removes is
  // skipped below (each device is looked up again before its visit).
  std::vector<SubdevicePtr> devices = round_robin(registry_->devices());
  if (status_ != nullptr) status_->pass_started(devices.size());
  const std::size_t installed_before = jobs_installed();
  const std::size_t failed_before = jobs_failed();
  std::set<std::string> visited;  // by key: a check may have visited one already
  auto finish = [&] {
    report.elapsed = std::chrono::steady_clock::now() - started;
    report.installed += jobs_installed() - installed_before;
    report.jobs_failed += jobs_failed() - failed_before;
    window_keys_.clear();
    if (status_ != nullptr) {
      status_->pass_ended(fmt::format("{} visited, {} up to date, {} offer(s), {} job(s) started, {} installed, {} "
                                      "job(s) failed, {} without reply, {} failed, {} not logged in, {} skipped, {} "
                                      "busy with a job",
                                      report.visited, report.up_to_date, report.offers, report.jobs_started,
                                      report.installed, report.jobs_failed, report.no_reply, report.failed,
                                      report.not_logged_in, report.skipped, report.busy),
                          0);
    }
  };
  if (jobs_) {
    // Jobs an earlier daemon left past their download go on by themselves;
    // devices never seen are asked their version before any visit, in
    // parallel across buses, so no visit waits for a bus.
    jobs_->resume_interrupted(devices);
    co_await jobs_->probe_versions(devices);
  }

  const std::size_t max_online = std::max<std::size_t>(1, options_.max_online);
  const bool windowed_pass = devices.size() > max_online;
  std::size_t window_start = 0;
  while (window_start < devices.size()) {
    // Jobs of earlier windows keep their devices online (a seat each): the
    // window is what is left of ota.max_online.
    std::vector<const Subdevice*> carried = windowed_pass ? online_.online_members() : std::vector<const Subdevice*>{};
    while (windowed_pass && carried.size() >= max_online && !stopping_) {
      co_await serve_requeries();
      (void)co_await work_.wait_for(std::chrono::seconds(1));
      carried = online_.online_members();
    }
    const std::size_t window_size = windowed_pass ? max_online - carried.size() : devices.size();
    const std::size_t window_end = std::min(devices.size(), window_start + window_size);
    std::vector<const Subdevice*> members = carried;
    window_keys_.clear();
    for (std::size_t i = window_start; i < window_end; ++i) {
      if (const Subdevice* now = registry_->find(devices[i]->product_key, devices[i]->device_name)) {
        if (std::find(members.begin(), members.end(), now) == members.end()) members.push_back(now);
        window_keys_.insert(now->key());
      }
    }
    online_.assign(std::move(members));  // every window (and every pass) logs in anew
    std::size_t next = window_start;
    while (next < window_end) {
      if (stopping_) {
        co_await settle_saves();
        finish();
        co_return report;
      }
      if (session_.state() != transports::MqttState::connected) {
        device_log::info(devices[next]->display_name(), "", "sweep paused at {}: waiting for the cloud session",
                         devices[next]->display_name());
        const std::error_code reconnected =
            co_await session_.async_wait_connected(reconnect_wait, asio::use_awaitable);
        if (reconnected) {
          co_await save_state(true);
          finish();
          co_return report;
        }
      }
      // The whole window, again after a reconnect: the platform took the
      // visited devices offline with the gateway too.
      const bool logged_in = co_await online_.ensure();
      if (!logged_in) continue;
      if (pending_reload_) {
        co_await apply_reload(&devices, window_start, window_size);
        continue;
      }
      if (!requeries_.empty()) {
        co_await serve_requeries();
        continue;
      }

      if (!checks_.empty()) {
        const SubdevicePtr checked = registry_->find_key(take_check());
        if (!checked) continue;
        if (jobs_ && jobs_->has_job(checked->key())) continue;  // its job shows what it does
        // (A named vector: g++ 12 miscompiles a braced list across co_await.)
        std::vector<const Subdevice*> one{checked.get()};
        const bool admitted = co_await online_.admit(std::move(one));
        if (!admitted) {  // the session dropped: the loop waits for it
          checks_.push_front(checked->key());
          continue;
        }
        if (!online_.online(checked.get())) {
          ++report.not_logged_in;
          if (status_ != nullptr) status_->set_device_activity(checked->key(), DeviceActivity::idle);
          continue;
        }
        const VisitStep step = co_await visit_device(checked, report);
        if (step == VisitStep::failed) co_return report;
        if (step == VisitStep::done) visited.insert(checked->key());
        co_await save_state(false);
        continue;
      }

      const SubdevicePtr device = registry_->find_key(devices[next]->key());
      if (!device || visited.count(device->key()) > 0) {  // removed by a reload, or checked in this pass
        ++next;
        continue;
      }
      if (jobs_ && jobs_->has_job(device->key())) {
        // Not visited for a new offer while its job is in flight (it stays
        // logged in until the job ends).
        ++report.busy;
        ++next;
        continue;
      }
      if (!online_.online(device.get())) {
        ++report.not_logged_in;
        ++next;
        continue;
      }
      const VisitStep step = co_await visit_device(device, report);
      if (step == VisitStep::failed) co_return report;
      if (step == VisitStep::abandoned) {
        // A publish may fail before the session has noticed its loss: the
        // visit is not tried again on a connection that still says it is
        // up until the session has had its moment to say otherwise.
        if (session_.state() == transports::MqttState::connected) {
          (void)co_await work_.wait_for(std::chrono::seconds(1));
        }
        continue;
      }
      visited.insert(device->key());
      ++next;
      co_await save_state(false);
    }
    if (windowed_pass) {
      // The window goes offline, except devices whose jobs run on.
      // The window is over: a job of its devices that ends or parks from
      // now on logs its device out itself (leave_seat).
      window_keys_.clear();
      std::vector<const Subdevice*> leaving;
      std::vector<const Subdevice*> staying;
      for (const Subdevice* device : online_.online_members()) {
        (jobs_ && jobs_->holds_seat(device->key()) ? staying : leaving).push_back(device);
      }
      if (session_.state() == transports::MqttState::connected && !leaving.empty()) {
        const std::error_code logged_out = co_await topology_.logout(leaving);
        if (logged_out) spdlog::warn("logout of window failed: {}", logged_out.message());
      }
      online_.retain(staying);
    }
    window_start = window_end;
  }
  co_await save_state(true);
  report.complete = !stopping_;
  finish();
  co_return report;
}

bool Sweeper::request_pass() {
  if (pass_running_) return false;
  pass_requested_ = true;
  if (interval_timer_) interval_timer_->cancel();
  return true;
}

std::size_t Sweeper::request_check(const std::string& device_key) {
  if (!registry_->find_key(device_key)) return 0;
  const auto it = std::find(checks_.begin(), checks_.end(), device_key);
  if (it != checks_.end()) return static_cast<std::size_t>(it - checks_.begin()) + 1;
  checks_.push_back(device_key);
  // A device whose job runs shows its job, not the queue.
  const bool job_runs = jobs_ && jobs_->has_job(device_key);
  if (status_ != nullptr && !job_runs) status_->set_device_activity(device_key, DeviceActivity::queued);
  if (interval_timer_) interval_timer_->cancel();
  return checks_.size();
}

bool Sweeper::reload(SweeperReload reload) {
  pending_reload_ = std::move(reload);
  if (interval_timer_) interval_timer_->cancel();
  return channel_.active() != nullptr;
}

asio::awaitable<void> Sweeper::apply_reload(std::vector<SubdevicePtr>* pass, std::size_t window_start,
                                            std::size_t window_size) {
  if (!pending_reload_) co_return;
  SweeperReload reload = std::move(*pending_reload_);
  pending_reload_.reset();
  const RegistryDiff changes = diff(*registry_, *reload.registry);
  registry_ = std::move(reload.registry);

  // Settings for what comes next; the paths a running daemon uses stay.
  const SweeperOptions& next = reload.options;
  options_.max_online = next.max_online;
  options_.query_timeout = next.query_timeout;
  options_.sweep_interval = next.sweep_interval;
  options_.delete_removed_topology = next.delete_removed_topology;
  if (options_.max_publish_per_s != next.max_publish_per_s) {
    options_.max_publish_per_s = next.max_publish_per_s;
    pacer_.set_max_per_s(next.max_publish_per_s);
  }
  channel_.set_query_timeout(next.query_timeout);
  options_.plugins = next.plugins;
  if (!jobs_ && !options_.plugins.empty()) make_jobs();
  if (jobs_) {
    jobs_->set_plugins(options_.plugins);
    jobs_->set_download_options(next.jobs);
    channel_.set_jobs(options_.plugins.empty() ? nullptr : jobs_.get());
  }
  checks_.erase(std::remove_if(checks_.begin(), checks_.end(),
                               [this](const std::string& key) { return !registry_->find_key(key); }),
                checks_.end());
  if (status_ != nullptr) status_->sync(*registry_, state_);

  // The online set takes the new objects; removed devices leave it and go
  // offline. Updated devices whose secret changed log in again.
  std::vector<const Subdevice*> gone = online_.remap(*registry_);
  std::vector<const Subdevice*> relogin;
  for (const SubdevicePtr& device : changes.updated) {
    if (online_.contains(device.get()) && online_.remove(device.get())) relogin.push_back(device.get());
  }
  const bool connected = session_.state() == transports::MqttState::connected;
  if (!gone.empty() && connected) {
    const std::error_code logged_out = co_await topology_.logout(gone);
    if (logged_out) spdlog::warn("logout of {} removed sub-device(s) failed: {}", gone.size(), logged_out.message());
  }
  if (options_.delete_removed_topology && !changes.removed.empty() &&
      session_.state() == transports::MqttState::connected) {
    // Every removed device, online or not: the platform may hold a topology
    // our state does not know about. (The old objects live in `changes`.)
    std::vector<const Subdevice*> removed;
    for (const SubdevicePtr& device : changes.removed) removed.push_back(device.get());
    const std::error_code deleted = co_await topology_.remove(std::move(removed));
    if (deleted) {
      spdlog::warn("topology delete of {} removed sub-device(s) failed: {}", changes.removed.size(), deleted.message());
    } else {
      spdlog::info("topology of {} removed sub-device(s) deleted (ota.delete_removed_topology)", changes.removed.size());
    }
  }
  // Added devices: in the window under way (or, between passes, when every
  // device fits in one) they are logged in now; later windows log theirs in.
  std::vector<const Subdevice*> admit = relogin;
  if (pass != nullptr) {
    for (const SubdevicePtr& device : changes.added) {
      pass->push_back(device);
      if (pass->size() - 1 < window_start + window_size) admit.push_back(device.get());
    }
  } else if (!windowed() && !online_.empty()) {
    for (const SubdevicePtr& device : changes.added) admit.push_back(device.get());
  }
  if (!admit.empty() && connected) (void)co_await online_.admit(admit);
  spdlog::info("configuration reloaded: {} sub-device(s) added, {} removed, {} changed", changes.added.size(),
               changes.removed.size(), changes.updated.size());
  if (on_reload_applied_) on_reload_applied_(changes);
}

asio::awaitable<void> Sweeper::run_checks() {
  PassReport report;  // not a pass: each visit is logged on its own
  while (!checks_.empty() && !stopping_ && session_.state() == transports::MqttState::connected) {
    if (pending_reload_) co_await apply_reload(nullptr, 0, 0);
    if (checks_.empty()) break;
    if (!requeries_.empty()) {
      co_await serve_requeries();
      continue;
    }
    const SubdevicePtr device = registry_->find_key(checks_.front());
    if (!device || (jobs_ && jobs_->has_job(device->key()))) {  // its job shows what it does
      checks_.pop_front();
      continue;
    }
    const bool was_member = online_.contains(device.get());
    // (co_await results go to variables: g++ 12 miscompiles one in a condition.)
    const bool logged_in = co_await online_.ensure();
    bool admitted = false;
    if (logged_in) {
      std::vector<const Subdevice*> one{device.get()};  // named: see run_pass
      admitted = co_await online_.admit(std::move(one));
    }
    if (!admitted) {
      if (session_.state() != transports::MqttState::connected) co_return;  // tried again after reconnect
      // Connected, yet the login could not be made (a refused subscription):
      // the check is dropped rather than tried in a loop.
      device_log::warn(device->display_name(), "", "check of {}: the sub-devices cannot be logged in; check dropped",
                       device->display_name());
      checks_.pop_front();
      if (status_ != nullptr) status_->set_device_activity(device->key(), DeviceActivity::idle);
      continue;
    }
    checks_.pop_front();
    if (online_.online(device.get())) {
      const VisitStep step = co_await visit_device(device, report);
      if (step == VisitStep::failed) co_return;
      if (step == VisitStep::abandoned) {
        checks_.push_front(device->key());
        co_return;
      }
    } else if (status_ != nullptr) {
      status_->set_device_activity(device->key(), DeviceActivity::idle);
    }
    // Between windowed passes nothing stays online but the devices of jobs
    // in flight: the device goes again unless its visit started a job.
    const bool job_runs = jobs_ && jobs_->holds_seat(device->key());
    if (!was_member && !job_runs && windowed() && session_.state() == transports::MqttState::connected) {
      online_.remove(device.get());
      std::vector<const Subdevice*> one{device.get()};
      const std::error_code logged_out = co_await topology_.logout(std::move(one));
      if (logged_out) {
        device_log::warn(device->display_name(), "", "logout of {} failed: {}", device->display_name(),
                         logged_out.message());
      }
    }
    co_await save_state(false);
  }
}

// ---- what the jobs ask of the sweep ----------------------------------------------------------

asio::awaitable<std::optional<FirmwareOffer>> Sweeper::ask_for_job(std::string device_key, std::string module) {
  if (stopping_) co_return std::nullopt;
  auto answer = std::make_shared<transports::AsyncSlot<std::optional<FirmwareOffer>>>(session_.executor());
  requeries_.push_back({std::move(device_key), std::move(module), answer});
  work_.notify_all();
  if (interval_timer_) interval_timer_->cancel();
  // The channel serves the queue between visits: at most a visit away,
  // unless the session is down meanwhile.
  constexpr std::chrono::minutes kRequeryWait{30};
  auto offer = co_await answer->wait_for(kRequeryWait);
  co_return offer ? std::move(*offer) : std::nullopt;
}

asio::awaitable<void> Sweeper::serve_requeries() {
  while (!requeries_.empty() && !stopping_ && session_.state() == transports::MqttState::connected) {
    // After a reconnect the platform holds the devices offline: a query for
    // one would go unanswered and read as a withdrawn offer.
    const bool logged_in = co_await online_.ensure();
    if (!logged_in) co_return;  // asked again once the set is logged in
    Requery next = std::move(requeries_.front());
    requeries_.pop_front();
    // By key: the job may hold a device object a reload has replaced since.
    const SubdevicePtr device = registry_->find_key(next.device_key);
    const ModuleSpec* module = nullptr;
    if (device) {
      for (const ModuleSpec& m : device->modules) {
        if (m.name == next.module) module = &m;
      }
    }
    if (module == nullptr) {  // removed by a reload: the job ends
      next.answer->deliver(std::nullopt);
      continue;
    }
    auto answer = co_await channel_.requery(*device, *module);
    if (!answer && session_.state() != transports::MqttState::connected && !stopping_) {
      requeries_.push_front(std::move(next));  // asked again after the reconnect
      co_return;
    }
    if (!answer) {
      device_log::warn(device->display_name(), "", "sub-device {}: asking again for its offer failed: {}",
                       device->display_name(), answer.error().message());
      next.answer->deliver(std::nullopt);
      continue;
    }
    next.answer->deliver(std::move(*answer));
  }
}

void Sweeper::on_job_ended(const std::string& device_key, JobOutcome outcome, bool resumed) {
  work_.notify_all();
  if (stopping_ || outcome == JobOutcome::interrupted) return;
  // One job per device at a time: a device's other modules are asked once
  // its job has ended, and so is a device whose job an earlier daemon left
  // (the pass passed it by while the job ran).
  const SubdevicePtr device = registry_->find_key(device_key);
  if (device && (resumed || device->modules.size() > 1)) (void)request_check(device_key);
}

asio::awaitable<void> Sweeper::take_seat(const std::string& device_key) {
  const SubdevicePtr device = registry_->find_key(device_key);
  if (!device || !windowed()) co_return;
  const std::size_t max_online = std::max<std::size_t>(1, options_.max_online);
  while (!stopping_ && !online_.contains(device.get())) {
    if (online_.size() < max_online) {
      std::vector<const Subdevice*> one{device.get()};  // named: see run_pass
      (void)co_await online_.admit(std::move(one));
      co_return;
    }
    (void)co_await work_.wait_for(std::chrono::seconds(1));
  }
}

asio::awaitable<void> Sweeper::leave_seat(const std::string& device_key) {
  // Devices of the window under way go offline with it.
  if (!windowed() || window_keys_.count(device_key) > 0) co_return;
  const SubdevicePtr device = registry_->find_key(device_key);
  if (!device || !online_.contains(device.get())) co_return;
  co_await online_.release(device.get());
  work_.notify_all();
}

asio::awaitable<bool> Sweeper::serve_waiting_work() {
  const bool connected = session_.state() == transports::MqttState::connected;
  if (pending_reload_) {
    co_await apply_reload(nullptr, 0, 0);
  } else if (connected && !requeries_.empty()) {
    co_await serve_requeries();
  } else if (connected && !checks_.empty()) {
    co_await run_checks();
  } else {
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> Sweeper::finish_jobs() {
  if (!jobs_) co_return;
  while (!stopping_) {
    const bool connected = session_.state() == transports::MqttState::connected;
    const bool served = co_await serve_waiting_work();
    if (served) continue;
    if (jobs_->scheduler().jobs_running() == 0 && checks_.empty() && requeries_.empty()) break;
    // After a reconnect the jobs' devices are logged in again for their reports.
    if (connected && !online_.empty() && !online_.current()) (void)co_await online_.ensure();
    (void)co_await work_.wait_for(std::chrono::seconds(1));
  }
  co_await save_state(true);
}

asio::awaitable<void> Sweeper::run_forever() {
  interval_timer_ = std::make_unique<asio::steady_timer>(co_await asio::this_coro::executor);
  // No upper bound on waiting for the cloud: the daemon runs until stopped.
  constexpr auto kForever = std::chrono::hours(24 * 365);
  while (!stopping_) {
    const PassReport report = co_await run_pass(std::chrono::duration_cast<std::chrono::milliseconds>(kForever));
    if (stopping_) break;
    spdlog::info("sweep done in {:.3f} s (visits {:.3f} s): {} visited, {} up to date, {} offer(s), {} installed, {} "
                 "job(s) failed, {} without reply, {} failed, {} not logged in, {} skipped; {} job(s) started, {} "
                 "device(s) busy with a job, {} job(s) in flight",
                 std::chrono::duration<double>(report.elapsed).count(),
                 std::chrono::duration<double>(report.visits_span()).count(), report.visited, report.up_to_date,
                 report.offers, report.installed, report.jobs_failed, report.no_reply, report.failed,
                 report.not_logged_in, report.skipped, report.jobs_started, report.busy, jobs_ ? jobs_->jobs() : 0);
    if (status_ != nullptr) status_->set_next_pass(FleetStatus::now_ms() + options_.sweep_interval.count());
    co_await wait_for_next_pass();
  }
  co_await settle_saves();  // the daemon's objects go once the sweep has ended
}

// Until the next pass is due, keeping the online set online: a reconnect
// (on_connected() cancels the timer) logs it in again at once. The state is
// checked before every wait, not only after one, so a reconnect that came
// while a login was under way is not missed.
asio::awaitable<void> Sweeper::wait_for_next_pass() {
  constexpr std::chrono::seconds kRetryAfterFailedLogin{10};
  const auto due = std::chrono::steady_clock::now() + options_.sweep_interval;
  auto wake_at = std::chrono::steady_clock::now();  // a login still due is tried at once
  while (!stopping_ && std::chrono::steady_clock::now() < due && !pass_requested_) {
    const bool connected = session_.state() == transports::MqttState::connected;
    const bool served = co_await serve_waiting_work();
    if (served) continue;
    if (connected && !online_.empty() && !online_.current() && std::chrono::steady_clock::now() >= wake_at) {
      const bool logged_in = co_await online_.ensure();
      // Still connected and not logged in (a refused subscription): try
      // again later, not in a loop.
      wake_at = logged_in ? due : std::min(due, std::chrono::steady_clock::now() + kRetryAfterFailedLogin);
      if (!logged_in) spdlog::info("logging the online sub-devices in again did not complete; trying again");
      continue;
    }
    interval_timer_->expires_at(connected && !online_.current() && !online_.empty() ? wake_at : due);
    boost::system::error_code ignored;
    co_await interval_timer_->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (ignored == asio::error::operation_aborted) wake_at = std::min(wake_at, std::chrono::steady_clock::now());
  }
  pass_requested_ = false;
}

}  // namespace otagw::subdev
