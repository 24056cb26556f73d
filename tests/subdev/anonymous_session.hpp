#pragma once
// Options for an MqttSession to a test broker that allows anonymous clients.
#include <chrono>
#include <cstdint>
#include <string>

#include "transports/mqtt_session.hpp"

namespace otagw::sweep_test {

inline transports::MqttSessionOptions anonymous_session(std::uint16_t port, const std::string& client_id) {
  transports::MqttSessionOptions options;
  options.host = "127.0.0.1";
  options.port = port;
  options.tls = false;
  options.client_id = client_id;
  options.username = client_id;
  options.backoff_initial = std::chrono::milliseconds(50);
  options.backoff_max = std::chrono::milliseconds(200);
  return options;
}

}  // namespace otagw::sweep_test
