#include "subdev/online_set.hpp"

#include <spdlog/spdlog.h>

namespace otagw::subdev {

OnlineSet::OnlineSet(transports::MqttSession& session, Topology& topology, DeviceStateStore& state)
    : session_(session),
      topology_(topology),
      state_(state),
      reply_topics_(topology.reply_topics()),
      logging_in_(session.executor(), 1) {}

void OnlineSet::assign(std::vector<const Subdevice*> members) {
  // Members that stay are as online as they were until the next login: a
  // job's device carried into the next window must still be logged out
  // when its job ends, even before that window's login.
  std::set<const Subdevice*> still;
  for (const Subdevice* device : members) {
    if (online_.count(device) > 0) still.insert(device);
  }
  members_ = std::move(members);
  online_ = std::move(still);
  logged_in_on_ = 0;
}

bool OnlineSet::current() const noexcept {
  return logged_in_on_ != 0 && logged_in_on_ == session_.connection_count();
}

std::vector<const Subdevice*> OnlineSet::online_members() const {
  std::vector<const Subdevice*> out;
  for (const Subdevice* device : members_) {
    if (online(device)) out.push_back(device);
  }
  return out;
}

void OnlineSet::note_refusals(const BatchOutcome& added, const BatchOutcome& logged_in) {
  auto note = [this](const Subdevice* device, std::int64_t code, const char* step) {
    state_.at(device->key()).last_result = std::string(step) + " refused (code " + std::to_string(code) + ")";
    state_.mark_dirty();
  };
  for (const auto& [device, code] : added.refused) note(device, code, "topology add");
  for (const auto& [device, code] : logged_in.refused) note(device, code, "login");
}

std::vector<const Subdevice*> OnlineSet::remap(const Registry& registry) {
  std::vector<const Subdevice*> members;
  std::set<const Subdevice*> online;
  std::vector<const Subdevice*> gone;
  for (const Subdevice* device : members_) {
    const Subdevice* now = registry.find(device->product_key, device->device_name);
    const bool was_online = online_.count(device) > 0;
    if (now == nullptr) {
      if (was_online) gone.push_back(device);
      continue;
    }
    members.push_back(now);
    if (was_online) online.insert(now);
  }
  members_ = std::move(members);
  online_ = std::move(online);
  return gone;
}

void OnlineSet::retain(const std::vector<const Subdevice*>& keep) {
  std::vector<const Subdevice*> members;
  std::set<const Subdevice*> online;
  for (const Subdevice* device : members_) {
    if (std::find(keep.begin(), keep.end(), device) == keep.end()) continue;
    members.push_back(device);
    if (online_.count(device) > 0) online.insert(device);
  }
  members_ = std::move(members);
  online_ = std::move(online);
}

asio::awaitable<void> OnlineSet::release(const Subdevice* device) {
  const transports::AsyncSemaphore::Permit turn = co_await logging_in_.acquire();
  if (!contains(device)) co_return;
  if (online(device) && session_.state() == transports::MqttState::connected) {
    std::vector<const Subdevice*> one{device};  // (named: g++ 12 and braced lists across co_await)
    const std::error_code logged_out = co_await topology_.logout(std::move(one));
    if (logged_out) spdlog::warn("logout of {} failed: {}", device->display_name(), logged_out.message());
  }
  remove(device);
}

bool OnlineSet::remove(const Subdevice* device) {
  members_.erase(std::remove(members_.begin(), members_.end(), device), members_.end());
  return online_.erase(device) > 0;
}

asio::awaitable<bool> OnlineSet::admit(std::vector<const Subdevice*> devices) {
  const transports::AsyncSemaphore::Permit turn = co_await logging_in_.acquire();
  std::vector<const Subdevice*> fresh;
  for (const Subdevice* device : devices) {
    if (!contains(device)) {
      members_.push_back(device);
      fresh.push_back(device);
    } else if (!online(device)) {
      fresh.push_back(device);  // refused before: tried again
    }
  }
  // Not logged in on this connection: the next ensure() logs in everyone.
  if (!current() || fresh.empty()) co_return current();
  BatchOutcome added = co_await topology_.add(fresh);
  if (added.aborted) co_return false;
  BatchOutcome logged_in = co_await topology_.login(added.accepted);
  if (logged_in.aborted) co_return false;
  online_.insert(logged_in.accepted.begin(), logged_in.accepted.end());
  note_refusals(added, logged_in);
  spdlog::info("logged in {} of {} added sub-device(s)", logged_in.accepted.size(), fresh.size());
  co_return true;
}

asio::awaitable<bool> OnlineSet::ensure() {
  if (current()) co_return true;
  const transports::AsyncSemaphore::Permit turn = co_await logging_in_.acquire();
  if (current()) co_return true;  // another caller logged the set in meanwhile
  const auto connection = session_.connection_count();
  // (co_await results go to variables: g++ 12 miscompiles one in a condition.)
  const std::error_code subscribed = co_await session_.async_subscribe(reply_topics_, 1, asio::use_awaitable);
  if (subscribed) co_return false;
  if (members_.empty()) {
    logged_in_on_ = connection;
    co_return true;
  }

  BatchOutcome added = co_await topology_.add(members_);
  if (added.aborted) co_return false;
  BatchOutcome logged_in = co_await topology_.login(added.accepted);
  if (logged_in.aborted) co_return false;

  online_.clear();
  online_.insert(logged_in.accepted.begin(), logged_in.accepted.end());
  note_refusals(added, logged_in);
  spdlog::info("logged in {} of {} sub-device(s)", logged_in.accepted.size(), members_.size());
  logged_in_on_ = connection;
  co_return true;
}

}  // namespace otagw::subdev
