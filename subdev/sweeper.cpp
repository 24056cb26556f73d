#include "subdev/sweeper.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "subdev/cloud_message.hpp"
#include "subdev/message_error.hpp"
#include "subdev/subdev_error.hpp"
#include "transports/device_log.hpp"
#include "transports/log_text.hpp"

namespace otagw::subdev {
namespace {

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Sweeper::Sweeper(asio::any_io_executor blocking_pool, transports::MqttSession& session, GatewayIdentity gateway,
                 const Registry& registry, DeviceStateStore& state, SweeperOptions options)
    : blocking_pool_(std::move(blocking_pool)),
      session_(session),
      gateway_(gateway),
      registry_(registry),
      state_(state),
      options_(options),
      pacer_(options.max_publish_per_s),
      rpc_(session, pacer_),
      topology_(std::move(gateway), rpc_, state, options.reply_timeout),
      channel_(session, rpc_, pacer_, state, options.query_timeout),
      markers_(options.runtime_dir),
      online_(session, topology_, state) {
  if (!options_.plugins.empty()) {
    jobs_ = std::make_unique<FirmwareJobs>(session.executor(), blocking_pool_, session, rpc_, state, options_.plugins,
                                           options_.jobs);
    channel_.set_jobs(jobs_.get());
    // A job outlives a reconnect: its reports wait for the online set to be
    // logged in again (the sweep is inside the visit, so nothing else logs
    // it in meanwhile).
    jobs_->set_online_gate({[this] { return online_.current(); },
                            [this]() -> asio::awaitable<bool> { return online_.ensure(); }});
  }
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
}

void Sweeper::on_connected() {
  // Between passes the wait for the next one is woken to log the online set
  // in again (run_forever); during a pass the pass does it before its next
  // publish.
  if (interval_timer_) interval_timer_->cancel();
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
  on_connection_lost();
  if (interval_timer_) interval_timer_->cancel();
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
    if (module.resumed_job) count_job(*module.resumed_job);
    switch (module.outcome) {
      case QueryOutcome::up_to_date: ++report.up_to_date; break;
      case QueryOutcome::offer:
        ++report.offers;
        if (!module.job) {
          device_log::info(device.display_name(), module.offer->version,
                           "sub-device {}: {}firmware {} offered ({} bytes, {}{})", device.display_name(), label,
                           module.offer->version, module.offer->total_size(),
                           transports::to_string(module.offer->sign_method), module.offer->is_diff ? ", delta" : "");
        } else {
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
    if (!summary.empty()) summary += "; ";
    if (module.resumed_job) summary += label + "resumed job " + std::string(to_string(*module.resumed_job)) + "; ";
    summary += label + std::string(to_string(module.outcome));
    if (module.offer) summary += " " + module.offer->version;
    if (module.job) summary += " " + std::string(to_string(*module.job));
  }
  state.last_result = std::move(summary);
  state_.mark_dirty();
}

asio::awaitable<void> Sweeper::save_state(bool force) {
  if (!state_.dirty()) co_return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_save_ < options_.save_interval) co_return;
  last_save_ = now;
  (void)co_await state_.async_save(blocking_pool_);
}

asio::awaitable<PassReport> Sweeper::run_pass(std::chrono::milliseconds reconnect_wait) {
  PassReport report;
  const auto started = std::chrono::steady_clock::now();
  std::vector<const Subdevice*> devices;
  for (const Subdevice& device : registry_.devices()) devices.push_back(&device);
  const std::size_t window_size = std::max<std::size_t>(1, options_.max_online);
  const bool windowed = devices.size() > window_size;

  for (std::size_t window_start = 0; window_start < devices.size(); window_start += window_size) {
    const std::span<const Subdevice* const> window(devices.data() + window_start,
                                                   std::min(window_size, devices.size() - window_start));
    online_.assign({window.begin(), window.end()});  // every window (and every pass) logs in anew
    std::size_t next = 0;
    while (next < window.size()) {
      if (stopping_) co_return report;
      if (session_.state() != transports::MqttState::connected) {
        device_log::info(window[next]->display_name(), "", "sweep paused at {}: waiting for the cloud session",
                         window[next]->display_name());
        const std::error_code reconnected =
            co_await session_.async_wait_connected(reconnect_wait, asio::use_awaitable);
        if (reconnected) {
          co_await save_state(true);
          report.elapsed = std::chrono::steady_clock::now() - started;
          co_return report;
        }
      }
      // The whole window, again after a reconnect: the platform took the
      // visited devices offline with the gateway too.
      const bool logged_in = co_await online_.ensure();
      if (!logged_in) continue;

      const Subdevice& device = *window[next];
      if (!online_.online(&device)) {
        ++report.not_logged_in;
        ++next;
        continue;
      }
      if (!markers_.begin(device)) {
        ++report.skipped;
        state_.at(device.key()).last_result = "skipped: otagwd ended during its visit " +
                                              std::to_string(VisitMarkers::kMaxEndsInARow) + " times in a row";
        state_.mark_dirty();
        ++next;
        continue;
      }
      device_log::debug(device.display_name(), "", "sub-device {}: visiting", device.display_name());
      VisitResult visit = co_await channel_.visit(device);
      // After an internal error the marker stays for the next start to count,
      // and nothing of the broken visit is recorded.
      if (failed_) co_return report;
      markers_.end(device.key());
      if (visit.aborted) {
        ++report.resumed;
        device_log::info(device.display_name(), "", "sub-device {}: visit abandoned ({}); resuming there after reconnect",
                         device.display_name(), visit.aborted.message());
        continue;
      }
      record(device, visit, report);
      ++next;
      co_await save_state(false);
    }
    if (windowed) {
      if (session_.state() == transports::MqttState::connected) {
        const std::error_code logged_out = co_await topology_.logout(online_.online_members());
        if (logged_out) spdlog::warn("logout of window failed: {}", logged_out.message());
      }
      online_.clear();
    }
  }
  if (jobs_) jobs_->end_pass();
  co_await save_state(true);
  report.complete = !stopping_;
  report.elapsed = std::chrono::steady_clock::now() - started;
  co_return report;
}

asio::awaitable<void> Sweeper::run_forever() {
  interval_timer_ = std::make_unique<asio::steady_timer>(co_await asio::this_coro::executor);
  // No upper bound on waiting for the cloud: the daemon runs until stopped.
  constexpr auto kForever = std::chrono::hours(24 * 365);
  while (!stopping_) {
    const PassReport report = co_await run_pass(std::chrono::duration_cast<std::chrono::milliseconds>(kForever));
    if (stopping_) break;
    spdlog::info("sweep done in {:.3f} s: {} visited, {} up to date, {} offer(s), {} installed, {} job(s) failed, {} "
                 "without reply, {} failed, {} not logged in, {} skipped",
                 std::chrono::duration<double>(report.elapsed).count(), report.visited, report.up_to_date,
                 report.offers, report.installed, report.jobs_failed, report.no_reply, report.failed,
                 report.not_logged_in, report.skipped);
    co_await wait_for_next_pass();
  }
}

// Until the next pass is due, keeping the online set online: a reconnect
// (on_connected() cancels the timer) logs it in again at once. The state is
// checked before every wait, not only after one, so a reconnect that came
// while a login was under way is not missed.
asio::awaitable<void> Sweeper::wait_for_next_pass() {
  constexpr std::chrono::seconds kRetryAfterFailedLogin{10};
  const auto due = std::chrono::steady_clock::now() + options_.sweep_interval;
  auto wake_at = std::chrono::steady_clock::now();  // a login still due is tried at once
  while (!stopping_ && std::chrono::steady_clock::now() < due) {
    const bool connected = session_.state() == transports::MqttState::connected;
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
}

}  // namespace otagw::subdev
