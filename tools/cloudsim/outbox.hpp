#pragma once
// Where the platform logic sends its messages. The MQTT server implements it
// (sim_server.cpp); tests use a recording one. Keeps the handlers free of Asio.
#include <chrono>
#include <string>

namespace otagw::cloudsim {

class Outbox {
 public:
  virtual ~Outbox() = default;
  // Publishes `payload` on `topic` at QoS 0 after `delay` (zero: now, in
  // order with the other immediate messages). Never throws, never blocks.
  virtual void publish(std::string topic, std::string payload, std::chrono::milliseconds delay) = 0;
};

}  // namespace otagw::cloudsim
