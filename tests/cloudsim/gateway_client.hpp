#pragma once
// The test's side of the simulator: a gateway on transports::MqttSession,
// signed in with make_mqtt_sign_in, that publishes requests and waits for
// replies by id (or any message on a topic) with a time-out.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "transports/asio.hpp"
#include "transports/mqtt_session.hpp"

namespace otagw::cloudsim_test {

struct Message {
  std::string topic;
  std::string payload;
};

class GatewayClient {
 public:
  // `client_id_extra` is appended inside the client id's bars (e.g. ",_ss=1" for a
  // vendor-SDK-like gateway that relies on the broker's auto-subscription).
  GatewayClient(asio::io_context& io, asio::any_io_executor pool, std::uint16_t port, const std::string& product_key,
                const std::string& device_name, const std::string& device_secret,
                const std::string& client_id_extra = {});

  // Connects and subscribes to `topics` (QoS 1; none: no SUBSCRIBE); throws on failure.
  asio::awaitable<void> connect(std::vector<std::string> topics);

  // Publishes `request` (QoS 0) on `topic` and waits for the message on
  // `topic`_reply whose "id" equals request["id"]; nullopt after `timeout`.
  asio::awaitable<std::optional<nlohmann::json>> request(std::string topic, nlohmann::json request,
                                                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

  asio::awaitable<void> publish(std::string topic, std::string payload);

  // The first message on `topic` not yet taken, waiting up to `timeout`.
  asio::awaitable<std::optional<Message>> next_on(std::string topic, std::chrono::milliseconds timeout);

  transports::MqttSession& session() { return session_; }

 private:
  transports::MqttSession session_;
  std::vector<Message> received_;
};

// Helpers to build requests.
std::string subdevice_sign(const std::string& pk, const std::string& dn, const std::string& secret,
                           const std::string& timestamp, const std::string& client_id = {});
nlohmann::json subdevice_entry(const std::string& pk, const std::string& dn, const std::string& secret,
                               bool topo_style);

}  // namespace otagw::cloudsim_test
