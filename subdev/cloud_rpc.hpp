#pragma once
// Requests of the gateway to the platform whose replies are matched by id
// (topology add and delete, login, logout): publish, then wait for the `_reply` with the
// same id. Replies are routed here by the gateway's message dispatcher.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "subdev/cloud_message.hpp"
#include "transports/async_slot.hpp"
#include "transports/mqtt_session.hpp"
#include "transports/result.hpp"

namespace otagw::subdev {

class PublishPacer;

class CloudRpc {
 public:
  CloudRpc(transports::MqttSession& session, PublishPacer& pacer);

  // Decimal ids, unique per gateway run, wrapping within 0..4294967295.
  [[nodiscard]] std::string next_id();

  // Sets request["id"], publishes it (QoS 0) on `topic` and waits for the reply
  // of kind `reply_kind` (the request topic's `_reply`) with that id. Errors:
  // SubdevErrc::timed_out, connection_lost (wake_all() or the session
  // dropped). A reply with a code other than 200 is a value: the caller
  // decides what the code means.
  asio::awaitable<Expected<PlatformReply>> call(CloudTopic reply_kind, std::string topic, nlohmann::json request,
                                                std::chrono::milliseconds timeout);

  // A reply from the message seam. False when no call of that kind waits for
  // its id (stale, foreign, or on another request's reply topic): the
  // dispatcher logs and drops it.
  bool deliver(CloudTopic kind, PlatformReply reply);

  // The session dropped: every waiting call returns connection_lost.
  void wake_all();

 private:
  transports::MqttSession& session_;
  PublishPacer& pacer_;
  std::uint32_t next_id_ = 0;
  std::map<std::pair<CloudTopic, std::string>, transports::AsyncSlot<PlatformReply>*> waiting_;
};

}  // namespace otagw::subdev
