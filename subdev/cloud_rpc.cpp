#include "subdev/cloud_rpc.hpp"

#include <spdlog/spdlog.h>

#include "subdev/json_text.hpp"
#include "subdev/publish_pacer.hpp"
#include "subdev/subdev_error.hpp"

namespace otagw::subdev {

CloudRpc::CloudRpc(transports::MqttSession& session, PublishPacer& pacer) : session_(session), pacer_(pacer) {
  // Start from a random-ish point so ids of a restarted daemon do not match
  // replies still in flight for the previous run.
  next_id_ = static_cast<std::uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

std::string CloudRpc::next_id() { return std::to_string(next_id_++); }

asio::awaitable<Expected<PlatformReply>> CloudRpc::call(CloudTopic reply_kind, std::string topic,
                                                        nlohmann::json request, std::chrono::milliseconds timeout) {
  const std::pair<CloudTopic, std::string> id(reply_kind, next_id());
  request["id"] = id.second;
  transports::AsyncSlot<PlatformReply> slot(co_await asio::this_coro::executor);
  waiting_[id] = &slot;
  struct Unregister {
    CloudRpc* rpc;
    std::pair<CloudTopic, std::string> id;
    ~Unregister() { rpc->waiting_.erase(id); }
  } unregister{this, id};

  co_await pacer_.acquire();
  const std::error_code sent = co_await session_.async_publish(topic, json_text(request), 0, asio::use_awaitable);
  if (sent) co_return make_error(SubdevErrc::connection_lost, "publish " + topic + ": " + sent.message());

  auto reply = co_await slot.wait_for(timeout);
  if (reply) co_return std::move(*reply);
  if (slot.woken() || session_.state() != transports::MqttState::connected) {
    co_return make_error(SubdevErrc::connection_lost, topic);
  }
  co_return make_error(SubdevErrc::timed_out, topic);
}

bool CloudRpc::deliver(CloudTopic kind, PlatformReply reply) {
  const auto it = waiting_.find(std::pair(kind, reply.id));
  if (it == waiting_.end()) return false;
  it->second->deliver(std::move(reply));
  return true;
}

void CloudRpc::wake_all() {
  for (auto& [id, slot] : waiting_) slot->wake();
}

}  // namespace otagw::subdev
