#include "transports/mqtt_error.hpp"

#include <string>

namespace otagw::transports {
namespace {

class MqttCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "otagw.mqtt"; }
  std::string message(int value) const override {
    switch (static_cast<MqttErrc>(value)) {
      case MqttErrc::not_connected: return "not connected to the MQTT broker";
      case MqttErrc::connection_lost: return "MQTT connection lost";
      case MqttErrc::timed_out: return "MQTT operation timed out";
      case MqttErrc::subscribe_rejected: return "subscription rejected by the broker";
      case MqttErrc::invalid_argument: return "invalid MQTT topic or payload";
      case MqttErrc::not_authorised: return "MQTT sign-in refused (not authorised)";
      case MqttErrc::connect_failed: return "could not connect to the MQTT broker";
      case MqttErrc::stopped: return "MQTT session stopped";
      case MqttErrc::reconfigured: return "reconnecting with new settings";
    }
    return "unknown MQTT error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& mqtt_category() noexcept {
  static const MqttCategory category;
  return category;
}

}  // namespace otagw::transports
