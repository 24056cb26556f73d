#include "subdev/ota_channel.hpp"

#include <spdlog/spdlog.h>

#include "subdev/ota_messages.hpp"
#include "subdev/subdev_error.hpp"
#include "subdev/topics.hpp"
#include "transports/device_log.hpp"
#include "transports/log_text.hpp"
#include "transports/mqtt_error.hpp"

namespace otagw::subdev {
namespace {

constexpr std::int64_t kCodeThrottled = 429;

}  // namespace

std::string_view to_string(QueryOutcome outcome) noexcept {
  switch (outcome) {
    case QueryOutcome::up_to_date: return "up_to_date";
    case QueryOutcome::offer: return "offer";
    case QueryOutcome::no_reply: return "no_reply";
    case QueryOutcome::failed: return "failed";
  }
  return "unknown";
}

OtaChannel::OtaChannel(transports::MqttSession& session, CloudRpc& rpc, PublishPacer& pacer, DeviceStateStore& state,
                       std::chrono::milliseconds query_timeout)
    : session_(session), rpc_(rpc), pacer_(pacer), state_(state), query_timeout_(query_timeout) {}

asio::awaitable<VisitResult> OtaChannel::visit(SubdevicePtr held) {
  const Subdevice& device = *held;
  VisitResult result;
  open_channel(device);

  for (const ModuleSpec& module : device.modules) {
    ModuleVisit visit;
    visit.module = module.name;
    visit.reported_version = co_await version_to_report(device, module);
    const std::error_code reported = co_await report_version(device, module, visit.reported_version);
    if (reported) {
      result.aborted = SubdevErrc::connection_lost;
      break;
    }
    auto answer = co_await query(device, module);
    if (!answer) {
      result.aborted = answer.error().code;
      break;
    }
    if (subscribe_error_) {
      device_log::warn(device.display_name(), "", "sub-device {}: subscribing its OTA topics failed: {}",
                       device.display_name(), subscribe_error_.message());
      result.aborted = subscribe_error_ == transports::MqttErrc::subscribe_rejected
                           ? std::error_code{}
                           : make_error_code(SubdevErrc::connection_lost);
      visit.outcome = QueryOutcome::failed;
      visit.detail = "subscription refused";
      if (!result.aborted) result.modules.push_back(std::move(visit));
      break;
    }
    const bool unusable_offer = answer->unusable_offer;
    if (jobs_ != nullptr && answer->outcome == QueryOutcome::up_to_date) jobs_->drop_withdrawn(device, module);
    visit.outcome = answer->outcome;
    visit.offer = std::move(answer->offer);
    visit.detail = std::move(answer->detail);
    if (visit.offer && visit.offer->version == visit.reported_version) {
      // The device runs it already (the platform has not seen the inform
      // yet, or the job finished before a restart): nothing to flash.
      device_log::info(device.display_name(), visit.offer->version,
                       "sub-device {}: offered {}, which it already runs: not flashing", device.display_name(),
                       visit.offer->version);
      visit.outcome = QueryOutcome::up_to_date;
      visit.offer.reset();
    } else if (jobs_ != nullptr && visit.offer) {
      // The offer becomes a job that runs on its own; the channel goes on.
      // One job per device: the device's other modules are asked again
      // once it has ended (the sweep visits it again).
      const bool started = co_await jobs_->start(held, module, *visit.offer, visit.reported_version);
      visit.job_started = started;
      if (!started) visit.job = JobOutcome::failed;
      result.modules.push_back(std::move(visit));
      if (started) {
        result.job_started = true;
        break;
      }
      continue;
    } else if (jobs_ != nullptr && unusable_offer) {
      co_await jobs_->refuse(device, module, visit.detail);
    }
    result.modules.push_back(std::move(visit));
  }

  close_channel(device);
  co_return result;
}

std::vector<std::string> OtaChannel::channel_topics(const Subdevice& device) {
  return {topics::ota_upgrade(device.product_key, device.device_name),
          topics::reply(topics::firmware_get(device.product_key, device.device_name))};
}

void OtaChannel::open_channel(const Subdevice& device) {
  // MQTT keeps order on one connection: the broker has the subscription in
  // place before it sees the query, so the reply cannot miss it. Waiting for
  // the SUBACK (or, at the end, the UNSUBACK) would only add a round trip per
  // device. A refused subscription ends the wait for the reply at once.
  const auto visit_number = ++visit_number_;
  subscribe_error_.clear();
  session_.async_subscribe(channel_topics(device), 1, [this, visit_number](std::error_code ec) {
    if (!ec || visit_number != visit_number_) return;
    subscribe_error_ = ec;
    wake();
  });
  active_ = &device;
  pushed_.clear();
}

void OtaChannel::close_channel(const Subdevice& device) {
  active_ = nullptr;
  waiting_ = nullptr;
  pushed_.clear();
  // Free the channel before the next device takes it. After a lost session
  // the broker has dropped the subscriptions already.
  if (session_.state() == transports::MqttState::connected) {
    session_.async_unsubscribe(channel_topics(device), [key = device.key()](std::error_code ec) {
      if (ec) device_log::debug(display_name_of_key(key), "", "sub-device {}: unsubscribe: {}", key, ec.message());
    });
  }
}

// The plugin's answer if it can tell, else the last installed version, else
// the configured one. A plugin is a process to start, so it is asked when the
// state has no version for the module yet (first sight) and around every
// flash (FirmwareJobs); in between, the state it answered is reported. What
// it says, or the configured version when it cannot tell, is kept in state.
asio::awaitable<std::string> OtaChannel::version_to_report(const Subdevice& device, const ModuleSpec& module) {
  auto& state = state_.at(device.key());
  if (const auto it = state.installed_versions.find(module.name); it != state.installed_versions.end()) {
    co_return it->second;
  }
  std::optional<std::string> told;
  if (jobs_ != nullptr) told = co_await jobs_->plugin_version(device, module);
  // A probe refused by the stop told nothing: the configured version is not
  // kept for it, or the plugin would never be asked again.
  if (jobs_ != nullptr && jobs_->stopping()) co_return told.value_or(module.configured_version);
  const std::string version = told.value_or(module.configured_version);
  state_.at(device.key()).installed_versions[module.name] = version;
  state_.mark_dirty();
  co_return version;
}

asio::awaitable<std::error_code> OtaChannel::report_version(const Subdevice& device, const ModuleSpec& module,
                                                            const std::string& version) {
  const std::string inform = inform_message(rpc_.next_id(), module.name, version);
  co_await pacer_.acquire();
  // Handed to the session at once: the inform and the query leave together
  // with the SUBSCRIBE (one segment, MqttSession), without a turn of the loop.
  co_return session_.publish_now(topics::ota_inform(device.product_key, device.device_name), inform);
}

asio::awaitable<Expected<OtaChannel::Answer>> OtaChannel::query(const Subdevice& device, const ModuleSpec& module) {
  // A push for this module may already have come while an earlier module was queried.
  if (auto it = pushed_.find(module.name); it != pushed_.end()) {
    Answer answer = std::move(it->second);
    pushed_.erase(it);
    co_return answer;
  }
  for (int attempt = 0;; ++attempt) {
    transports::AsyncSlot<Answer> slot(co_await asio::this_coro::executor);
    waiting_id_ = rpc_.next_id();
    waiting_module_ = module.name;
    waiting_ = &slot;

    const std::string request = firmware_get_message(waiting_id_, module.name);
    co_await pacer_.acquire();
    const std::error_code sent =
        session_.publish_now(topics::firmware_get(device.product_key, device.device_name), request);
    if (sent) {
      waiting_ = nullptr;
      co_return make_error(SubdevErrc::connection_lost, device.key());
    }
    auto answer = co_await slot.wait_for(query_timeout_);
    waiting_ = nullptr;
    if (!answer) {
      if (session_.state() != transports::MqttState::connected) co_return make_error(SubdevErrc::connection_lost);
      if (slot.woken()) co_return make_error(SubdevErrc::stopped);  // the daemon is stopping: no answer to record
      co_return Answer{QueryOutcome::no_reply, std::nullopt, "no reply within query_timeout_s"};
    }
    if (answer->throttled && attempt == 0) {
      pacer_.slow_down();
      continue;  // once, at the slower pace
    }
    co_return std::move(*answer);
  }
}

asio::awaitable<Expected<std::optional<FirmwareOffer>>> OtaChannel::requery(const Subdevice& device,
                                                                             const ModuleSpec& module) {
  open_channel(device);
  auto answer = co_await query(device, module);
  close_channel(device);
  if (!answer) co_return make_error(answer.error().code, device.key());
  if (subscribe_error_) co_return make_error(SubdevErrc::connection_lost, device.key());
  if (answer->outcome == QueryOutcome::offer) co_return std::move(answer->offer);
  if (answer->outcome == QueryOutcome::up_to_date) co_return std::optional<FirmwareOffer>{};
  co_return make_error(SubdevErrc::refused, device.key() + ": " + answer->detail);
}

bool OtaChannel::is_active(const TopicMatch& topic) {
  if (active_ != nullptr && topic.product_key == active_->product_key && topic.device_name == active_->device_name) {
    return true;
  }
  if (drops_.admit()) {
    device_log::warn(topic.display_name(), "", "sub-device {}: {} while its OTA channel is not active: dropped",
                     log_text(topic.display_name()), to_string(topic.kind));
  }
  return false;
}

void OtaChannel::deliver(const TopicMatch& topic, FirmwareGetReply reply) {
  if (!is_active(topic)) return;
  if (waiting_ == nullptr || reply.envelope.id != waiting_id_) {
    if (drops_.admit()) {
      device_log::warn(active_->display_name(), "", "sub-device {}: firmware/get reply with stale id {} dropped",
                       active_->display_name(), log_text(reply.envelope.id));
    }
    return;
  }
  if (reply.envelope.code == kCodeThrottled) {
    Answer answer{QueryOutcome::failed, std::nullopt, "throttled by the platform (code 429)"};
    answer.throttled = true;
    waiting_->deliver(std::move(answer));
  } else if (reply.envelope.code != 200) {
    waiting_->deliver(Answer{QueryOutcome::failed, std::nullopt,
                             "platform code " + std::to_string(reply.envelope.code) +
                                 (reply.envelope.message.empty() ? "" : ": " + log_text(reply.envelope.message))});
  } else if (reply.no_firmware) {
    waiting_->deliver(Answer{QueryOutcome::up_to_date, std::nullopt, {}});
  } else {
    waiting_->deliver(answer_from_offer(std::move(reply.offer), waiting_module_));
  }
}

void OtaChannel::deliver(const TopicMatch& topic, UpgradePush push) {
  if (!is_active(topic)) return;
  const bool known_module = std::any_of(active_->modules.begin(), active_->modules.end(),
                                        [&](const ModuleSpec& m) { return m.name == push.module; });
  if (!known_module) {
    if (drops_.admit()) {
      device_log::warn(active_->display_name(), "", "sub-device {}: upgrade push for unknown module '{}' dropped",
                       active_->display_name(), log_text(push.module));
    }
    return;
  }
  Answer answer = answer_from_offer(std::move(push.offer), push.module);
  if (waiting_ != nullptr && push.module == waiting_module_) {
    waiting_->deliver(std::move(answer));
  } else {
    pushed_.insert_or_assign(push.module, std::move(answer));
  }
}

void OtaChannel::deliver(const TopicMatch& topic, MalformedMessage message) {
  if (!is_active(topic)) return;
  const char* what = topic.kind == CloudTopic::upgrade_push ? "upgrade push" : "firmware/get reply";
  // A reply is the answer only with the id waited for (one without a
  // readable id could be anything); a push answers whatever query waits.
  const bool unmatched = topic.kind == CloudTopic::firmware_get_reply && message.id != waiting_id_;
  if (waiting_ == nullptr || unmatched) {
    if (drops_.admit()) {
      device_log::warn(active_->display_name(), "", "sub-device {}: unusable {} dropped ({}): {}",
                       active_->display_name(), what,
                       waiting_ == nullptr ? "no query waits" : message.id ? "stale id" : "no readable id",
                       message.error.message());
    }
    return;
  }
  Answer answer{QueryOutcome::failed, std::nullopt, std::string("unusable ") + what + ": " + message.error.message()};
  answer.unusable_offer = true;
  waiting_->deliver(std::move(answer));
}

OtaChannel::Answer OtaChannel::answer_from_offer(Expected<FirmwareOffer> offer, const std::string& expected_module) {
  if (!offer) {
    Answer answer{QueryOutcome::failed, std::nullopt, "unusable offer: " + offer.error().context};
    answer.unusable_offer = true;
    return answer;
  }
  if (offer->module != expected_module) {
    return Answer{QueryOutcome::failed, std::nullopt,
                  "offer for module '" + offer->module + "' in answer to a query for '" + expected_module + "'"};
  }
  return Answer{QueryOutcome::offer, std::move(*offer), {}};
}

void OtaChannel::wake() {
  if (waiting_ != nullptr) waiting_->wake();
}

}  // namespace otagw::subdev
