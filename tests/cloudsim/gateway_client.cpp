#include "tests/cloudsim/gateway_client.hpp"

#include <stdexcept>

#include "tests/support/run_with_timeout.hpp"
#include "transports/platform_sign.hpp"

namespace otagw::cloudsim_test {
namespace {

transports::MqttSessionOptions options(std::uint16_t port, const std::string& pk, const std::string& dn,
                                       const std::string& secret, const std::string& client_id_extra) {
  const auto sign_in = transports::make_mqtt_sign_in(pk, dn, config::Secret(secret), /*tls=*/false);
  transports::MqttSessionOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.tls = false;
  o.keepalive_s = 30;
  o.client_id = sign_in.client_id;
  // The extras sit before the closing bar; the password does not cover them.
  if (!client_id_extra.empty() && !o.client_id.empty() && o.client_id.back() == '|') {
    o.client_id.insert(o.client_id.size() - 1, client_id_extra);
  }
  o.username = sign_in.username;
  o.password = sign_in.password;
  o.connect_timeout = std::chrono::seconds(5);
  o.operation_timeout = std::chrono::seconds(5);
  o.backoff_initial = std::chrono::milliseconds(50);
  o.backoff_max = std::chrono::milliseconds(200);
  return o;
}

}  // namespace

GatewayClient::GatewayClient(asio::io_context& io, asio::any_io_executor pool, std::uint16_t port,
                             const std::string& product_key, const std::string& device_name,
                             const std::string& device_secret, const std::string& client_id_extra)
    : session_(io.get_executor(), std::move(pool),
               options(port, product_key, device_name, device_secret, client_id_extra)) {
  session_.set_message_handler([this](std::string_view topic, std::string_view payload) {
    received_.push_back(Message{std::string(topic), std::string(payload)});
  });
}

asio::awaitable<void> GatewayClient::connect(std::vector<std::string> topics) {
  session_.start();
  if (auto ec = co_await session_.async_wait_connected(std::chrono::seconds(5), asio::use_awaitable)) {
    throw std::runtime_error("gateway cannot connect: " + ec.message());
  }
  if (topics.empty()) co_return;
  if (auto ec = co_await session_.async_subscribe(std::move(topics), 1, asio::use_awaitable)) {
    throw std::runtime_error("gateway cannot subscribe: " + ec.message());
  }
}

asio::awaitable<void> GatewayClient::publish(std::string topic, std::string payload) {
  if (auto ec = co_await session_.async_publish(std::move(topic), std::move(payload), 0, asio::use_awaitable)) {
    throw std::runtime_error("gateway cannot publish: " + ec.message());
  }
}

asio::awaitable<std::optional<nlohmann::json>> GatewayClient::request(std::string topic, nlohmann::json request,
                                                                      std::chrono::milliseconds timeout) {
  const auto id = request.at("id");
  co_await publish(topic, request.dump());
  const std::string reply_topic = topic + "_reply";
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    for (auto it = received_.begin(); it != received_.end(); ++it) {
      if (it->topic != reply_topic) continue;
      auto reply = nlohmann::json::parse(it->payload, nullptr, false);
      if (!reply.is_discarded() && reply.is_object() && reply.contains("id") && reply["id"] == id) {
        received_.erase(it);
        co_return reply;
      }
    }
    co_await test_support::sleep_for(std::chrono::milliseconds(2));
  }
  co_return std::nullopt;
}

asio::awaitable<std::optional<Message>> GatewayClient::next_on(std::string topic, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (auto it = received_.begin(); it != received_.end(); ++it) {
      if (it->topic == topic) {
        Message message = std::move(*it);
        received_.erase(it);
        co_return message;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) co_return std::nullopt;
    co_await test_support::sleep_for(std::chrono::milliseconds(2));
  }
}

std::string subdevice_sign(const std::string& pk, const std::string& dn, const std::string& secret,
                           const std::string& timestamp, const std::string& client_id) {
  const std::string id = client_id.empty() ? pk + "." + dn : client_id;
  return transports::hmac_hex(transports::SignMethod::hmac_sha256, secret,
                              transports::sign_content(id, pk, dn, timestamp));
}

nlohmann::json subdevice_entry(const std::string& pk, const std::string& dn, const std::string& secret,
                               bool topo_style) {
  const std::string timestamp = "1700000000000";
  nlohmann::json entry = {{"productKey", pk},
                          {"deviceName", dn},
                          {"clientId", pk + "." + dn},
                          {"timestamp", timestamp},
                          {"sign", subdevice_sign(pk, dn, secret, timestamp)}};
  if (topo_style) {
    entry["signmethod"] = "hmacSha256";
  } else {
    entry["cleanSession"] = "false";
  }
  return entry;
}

}  // namespace otagw::cloudsim_test
