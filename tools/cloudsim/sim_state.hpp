#pragma once
// What the protocol handlers share: the scenario's gateway and limits, the
// device registry, counters, violations, and the outbox for replies. One per
// simulated platform; single-threaded (the server's io_context thread).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tools/cloudsim/alink_message.hpp"
#include "tools/cloudsim/device_registry.hpp"
#include "tools/cloudsim/login_throttle.hpp"
#include "tools/cloudsim/outbox.hpp"
#include "tools/cloudsim/scenario.hpp"
#include "tools/cloudsim/topics.hpp"
#include "tools/cloudsim/violation_log.hpp"

namespace otagw::cloudsim {

using Clock = std::chrono::steady_clock;

struct Counters {
  std::uint64_t messages = 0;           // every PUBLISH received
  std::uint64_t topo_add_requests = 0;
  std::uint64_t topo_delete_requests = 0;
  std::uint64_t login_requests = 0;     // batch and single, throttled ones included
  std::uint64_t logout_requests = 0;
  std::uint64_t throttled = 0;          // login requests answered 429
  std::uint64_t queries = 0;            // thing.ota.firmware.get
  std::uint64_t informs = 0;
  std::uint64_t progress = 0;
  std::uint64_t pushes = 0;             // upgrade messages published
  std::uint64_t replies = 0;            // *_reply messages published
  std::uint64_t unknown_topics = 0;
  std::uint64_t gateway_disconnects = 0;  // the gateway's MQTT connection ended (or the broker's)
  std::uint64_t peak_online = 0;          // the most sub-devices online at once
};

// The message being handled.
struct Inbound {
  std::string_view topic;
  TopicMatch match;
  Clock::time_point now;
};

class SimState {
 public:
  SimState(const Scenario& scenario, Outbox& outbox, Clock::time_point started);

  GatewaySpec gateway;
  Limits limits;
  DeviceRegistry devices;
  std::vector<Expectation> expect;  // the scenario's, judged at the end (outcome.hpp)
  LoginThrottle throttle;
  ViolationLog violations;
  Counters counters;
  Clock::time_point started;
  std::uint64_t next_push_id = 1;  // the numeric id of upgrade pushes

  [[nodiscard]] std::int64_t t_ms(Clock::time_point now) const;
  [[nodiscard]] bool is_gateway(std::string_view product_key, std::string_view device_name) const noexcept;

  void violation(const Inbound& in, std::string what);

  // Publishes a reply on in.topic + "_reply".
  void reply(const Inbound& in, std::string_view id_json, int code, std::string_view data_json,
             std::string_view message, std::chrono::milliseconds delay = std::chrono::milliseconds(0));
  void publish(std::string topic, std::string payload, std::chrono::milliseconds delay);

  // Parses a request, recording what is wrong with it. nullopt (nothing to
  // answer) when it is not a JSON object, or when `needs_id` and it has no
  // usable id. A request's id that is a number or not decimal is a violation
  // but still echoed; a report (`needs_id` false) may carry a number (the
  // v3.2 SDK's progress does, and the platform takes it).
  [[nodiscard]] std::optional<AlinkRequest> read_request(const Inbound& in, std::string_view payload, bool needs_id);

  // A violation when the request names a method other than `expected` (an
  // absent method is fine: the SDKs leave it out of some requests).
  void check_method(const Inbound& in, const AlinkRequest& request, std::string_view expected);

  // For the gateway's own topics: false (and a 6100 reply) when the topic
  // names another gateway than the scenario's.
  [[nodiscard]] bool check_gateway(const Inbound& in, const AlinkRequest& request);

 private:
  Outbox* outbox_;
};

}  // namespace otagw::cloudsim
