#include "subdev/online_set.hpp"

#include <spdlog/spdlog.h>

namespace otagw::subdev {

OnlineSet::OnlineSet(transports::MqttSession& session, Topology& topology, DeviceStateStore& state)
    : session_(session), topology_(topology), state_(state), reply_topics_(topology.reply_topics()) {}

void OnlineSet::assign(std::vector<const Subdevice*> members) {
  members_ = std::move(members);
  online_.clear();
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

asio::awaitable<bool> OnlineSet::ensure() {
  if (current()) co_return true;
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
  auto note_refusal = [&](const Subdevice* device, std::int64_t code, const char* step) {
    state_.at(device->key()).last_result = std::string(step) + " refused (code " + std::to_string(code) + ")";
    state_.mark_dirty();
  };
  for (const auto& [device, code] : added.refused) note_refusal(device, code, "topology add");
  for (const auto& [device, code] : logged_in.refused) note_refusal(device, code, "login");
  spdlog::info("logged in {} of {} sub-device(s)", logged_in.accepted.size(), members_.size());
  logged_in_on_ = connection;
  co_return true;
}

}  // namespace otagw::subdev
