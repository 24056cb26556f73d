#include "subdev/topology.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "subdev/subdev_error.hpp"
#include "subdev/topics.hpp"
#include "transports/device_log.hpp"
#include "transports/log_text.hpp"
#include "transports/platform_sign.hpp"

namespace otagw::subdev {
namespace {

// A throttled batch is retried this often (with a slower pace) before its
// devices count as refused for this sweep.
constexpr int kThrottleRetries = 5;
// A request without a reply is sent once more before its devices wait for the
// next sweep: logins go at QoS 0 (protocol.md §3), and the platform's side of a
// fresh connection may not be listening yet.
constexpr int kTimeoutRetries = 1;

std::string now_ms_string() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

nlohmann::json signed_identity(const Subdevice& device, const std::string& timestamp) {
  return {{"productKey", device.product_key},
          {"deviceName", device.device_name},
          {"clientId", device.key()},
          {"timestamp", timestamp},
          {"sign", transports::subdevice_sign(device.product_key, device.device_name, device.device_secret, timestamp)}};
}

}  // namespace

Topology::Topology(GatewayIdentity gateway, CloudRpc& rpc, DeviceStateStore& state,
                   std::chrono::milliseconds reply_timeout)
    : gateway_(std::move(gateway)),
      rpc_(rpc),
      state_(state),
      reply_timeout_(reply_timeout) {}

std::vector<std::string> Topology::reply_topics() const {
  return {topics::reply(topics::topo_add(gateway_.product_key, gateway_.device_name)),
          topics::reply(topics::topo_delete(gateway_.product_key, gateway_.device_name)),
          topics::reply(topics::batch_login(gateway_.product_key, gateway_.device_name)),
          topics::reply(topics::batch_logout(gateway_.product_key, gateway_.device_name))};
}

asio::awaitable<Expected<PlatformReply>> Topology::send_topo_add(std::span<const Subdevice* const> batch) {
  const std::string timestamp = now_ms_string();
  nlohmann::json params = nlohmann::json::array();
  for (const Subdevice* device : batch) {
    auto entry = signed_identity(*device, timestamp);
    entry["signmethod"] = "hmacSha256";  // lowercase m here, as the platform spells it for topo add
    params.push_back(std::move(entry));
  }
  nlohmann::json request = {{"version", "1.0"}, {"params", std::move(params)}, {"method", "thing.topo.add"}};
  co_return co_await rpc_.call(CloudTopic::topo_add_reply, topics::topo_add(gateway_.product_key, gateway_.device_name), std::move(request),
                               reply_timeout_);
}

asio::awaitable<Expected<PlatformReply>> Topology::send_topo_delete(std::span<const Subdevice* const> batch) {
  nlohmann::json params = nlohmann::json::array();
  for (const Subdevice* device : batch) {
    params.push_back({{"productKey", device->product_key}, {"deviceName", device->device_name}});
  }
  nlohmann::json request = {{"version", "1.0"}, {"params", std::move(params)}, {"method", "thing.topo.delete"}};
  co_return co_await rpc_.call(CloudTopic::topo_delete_reply, topics::topo_delete(gateway_.product_key, gateway_.device_name),
                               std::move(request), reply_timeout_);
}

asio::awaitable<Expected<PlatformReply>> Topology::send_login(std::span<const Subdevice* const> batch) {
  co_await login_pacer_.acquire();
  const std::string timestamp = now_ms_string();
  nlohmann::json list = nlohmann::json::array();
  for (const Subdevice* device : batch) {
    auto entry = signed_identity(*device, timestamp);
    entry["cleanSession"] = "false";
    list.push_back(std::move(entry));
  }
  nlohmann::json request = {{"version", "1.0"},
                            {"params", {{"signMethod", "hmacSha256"}, {"deviceList", std::move(list)}}},
                            {"method", "combine.batchLogin"}};
  co_return co_await rpc_.call(CloudTopic::login_reply, topics::batch_login(gateway_.product_key, gateway_.device_name), std::move(request),
                               reply_timeout_);
}

asio::awaitable<void> Topology::send_split(std::span<const Subdevice* const> batch, BatchSender send,
                                           const char* what, BatchOutcome& outcome) {
  int timeouts = 0;
  int throttled = 0;
  for (;;) {
    auto reply = co_await (this->*send)(batch);
    if (!reply) {
      if (reply.error().code != SubdevErrc::timed_out) {
        outcome.aborted = reply.error().code;
        co_return;
      }
      if (timeouts++ < kTimeoutRetries) {
        spdlog::info("{} of {} sub-device(s): no reply in time; asking again", what, batch.size());
        continue;
      }
      // No answer is not a refusal of these devices; they are retried next sweep.
      spdlog::warn("{} of {} sub-device(s): no reply in time", what, batch.size());
      for (const Subdevice* device : batch) outcome.refused[device] = 0;
      co_return;
    }
    if (reply->code == 200) {
      outcome.accepted.insert(outcome.accepted.end(), batch.begin(), batch.end());
      co_return;
    }
    if (reply->code == kCodeThrottled && throttled < kThrottleRetries) {
      ++throttled;
      login_pacer_.slow_down();
      continue;
    }
    if (batch.size() == 1) {
      device_log::warn(batch.front()->display_name(), "", "sub-device {}: {} refused by the platform (code {}{}{})",
                       batch.front()->display_name(), what, reply->code, reply->message.empty() ? "" : ": ",
                       log_text(reply->message));
      outcome.refused[batch.front()] = reply->code;
      co_return;
    }
    // The batch failed whole: find the devices that caused it.
    const auto half = batch.size() / 2;
    co_await send_split(batch.first(half), send, what, outcome);
    if (outcome.aborted) co_return;
    co_await send_split(batch.subspan(half), send, what, outcome);
    co_return;
  }
}

asio::awaitable<BatchOutcome> Topology::add(std::vector<const Subdevice*> devices) {
  BatchOutcome outcome;
  std::vector<const Subdevice*> missing;
  for (const Subdevice* device : devices) {
    if (state_.at(device->key()).topology_added) {
      outcome.accepted.push_back(device);
    } else {
      missing.push_back(device);
    }
  }
  std::span<const Subdevice* const> rest(missing);
  while (!rest.empty() && !outcome.aborted) {
    const auto size = std::min(rest.size(), kMaxTopoAddBatch);
    const std::size_t before = outcome.accepted.size();
    co_await send_split(rest.first(size), &Topology::send_topo_add, "topology add", outcome);
    for (auto i = before; i < outcome.accepted.size(); ++i) state_.at(outcome.accepted[i]->key()).topology_added = true;
    if (outcome.accepted.size() != before) state_.mark_dirty();
    rest = rest.subspan(size);
  }
  if (!missing.empty()) {
    spdlog::info("topology add: {} added, {} refused", missing.size() - outcome.refused.size(), outcome.refused.size());
  }
  co_return outcome;
}

asio::awaitable<BatchOutcome> Topology::login(std::vector<const Subdevice*> devices) {
  BatchOutcome outcome;
  std::span<const Subdevice* const> rest(devices);
  while (!rest.empty() && !outcome.aborted) {
    const auto size = std::min(rest.size(), kMaxLoginBatch);
    co_await send_split(rest.first(size), &Topology::send_login, "login", outcome);
    rest = rest.subspan(size);
  }
  if (outcome.aborted) co_return outcome;

  // The platform forgot (or never had) these devices' topology: add it again,
  // then one more login.
  std::vector<const Subdevice*> re_add;
  for (const auto& [device, code] : outcome.refused) {
    if (code == kCodeTopologyMissing) re_add.push_back(device);
  }
  if (!re_add.empty()) {
    for (const Subdevice* device : re_add) {
      outcome.refused.erase(device);
      state_.at(device->key()).topology_added = false;
    }
    state_.mark_dirty();
    spdlog::info("{} sub-device(s) without topology on the platform: adding again", re_add.size());
    BatchOutcome added = co_await add(re_add);
    for (const auto& [device, code] : added.refused) outcome.refused[device] = code;
    if (added.aborted) {
      outcome.aborted = added.aborted;
      co_return outcome;
    }
    BatchOutcome second;
    std::span<const Subdevice* const> again(added.accepted);
    while (!again.empty() && !second.aborted) {
      const auto size = std::min(again.size(), kMaxLoginBatch);
      co_await send_split(again.first(size), &Topology::send_login, "login", second);
      again = again.subspan(size);
    }
    outcome.accepted.insert(outcome.accepted.end(), second.accepted.begin(), second.accepted.end());
    outcome.refused.insert(second.refused.begin(), second.refused.end());
    outcome.aborted = second.aborted;
  }
  co_return outcome;
}

asio::awaitable<std::error_code> Topology::logout(std::vector<const Subdevice*> devices) {
  std::span<const Subdevice* const> rest(devices);
  while (!rest.empty()) {
    const auto size = std::min(rest.size(), kMaxLoginBatch);
    nlohmann::json params = nlohmann::json::array();
    for (const Subdevice* device : rest.first(size)) {
      params.push_back({{"productKey", device->product_key}, {"deviceName", device->device_name}});
    }
    nlohmann::json request = {{"version", "1.0"}, {"params", std::move(params)}, {"method", "combine.batchLogout"}};
    auto reply = co_await rpc_.call(CloudTopic::logout_reply, topics::batch_logout(gateway_.product_key, gateway_.device_name),
                                    std::move(request), reply_timeout_);
    if (!reply) co_return reply.error().code;
    if (reply->code != 200) spdlog::warn("logout of {} sub-device(s): platform code {}", size, reply->code);
    rest = rest.subspan(size);
  }
  co_return std::error_code{};
}

asio::awaitable<std::error_code> Topology::remove(std::vector<const Subdevice*> devices) {
  BatchOutcome outcome;
  std::span<const Subdevice* const> rest(devices);
  while (!rest.empty() && !outcome.aborted) {
    const auto size = std::min(rest.size(), kMaxTopoDeleteBatch);
    co_await send_split(rest.first(size), &Topology::send_topo_delete, "topology delete", outcome);
    rest = rest.subspan(size);
  }
  // Either way the platform holds no topology for these any more.
  std::vector<const Subdevice*> gone = outcome.accepted;
  std::size_t refused = 0;
  for (const auto& [device, code] : outcome.refused) {
    if (code == kCodeTopologyMissing) {
      gone.push_back(device);
    } else {
      ++refused;
    }
  }
  bool changed = false;
  for (const Subdevice* device : gone) {
    // A device state never saw gets no entry now: it is leaving.
    if (state_.find(device->key()) == nullptr) continue;
    auto& entry = state_.at(device->key());
    changed = changed || entry.topology_added;
    entry.topology_added = false;
  }
  if (changed) state_.mark_dirty();
  if (!devices.empty()) {
    spdlog::info("topology delete: {} deleted, {} not{}{}", gone.size(), refused,
                 outcome.aborted ? "; the rest not sent: " : "", outcome.aborted ? outcome.aborted.message() : "");
  }
  co_return outcome.aborted;
}

}  // namespace otagw::subdev
