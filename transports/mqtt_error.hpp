#pragma once
// Errors of the gateway's MQTT session (otagw::transports::MqttSession).
#include <system_error>
#include <type_traits>

namespace otagw::transports {

enum class MqttErrc {
  not_connected = 1,   // no session to the broker right now; try again after reconnect
  connection_lost,     // the session dropped while the operation was in flight
  timed_out,           // no SUBACK / UNSUBACK / PUBACK (or CONNACK) in time
  subscribe_rejected,  // the broker answered a SUBSCRIBE with failure (0x80)
  invalid_argument,    // topic or payload that libmosquitto refuses (e.g. bad UTF-8, wildcard in a publish)
  not_authorised,      // CONNACK refused the sign-in (bad credentials or not authorised)
  connect_failed,      // DNS, TCP or TLS failed before CONNACK
  stopped,             // the session was stopped
  reconfigured,        // the session reconnects with new settings (a reload)
};

[[nodiscard]] const std::error_category& mqtt_category() noexcept;

[[nodiscard]] inline std::error_code make_error_code(MqttErrc e) noexcept {
  return {static_cast<int>(e), mqtt_category()};
}

}  // namespace otagw::transports

template <>
struct std::is_error_code_enum<otagw::transports::MqttErrc> : std::true_type {};
