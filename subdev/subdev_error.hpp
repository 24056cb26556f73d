#pragma once
// Errors of the sub-device layer (topology, login, the OTA channel).
#include <system_error>
#include <type_traits>

namespace otagw::subdev {

enum class SubdevErrc {
  timed_out = 1,    // the platform did not answer in time
  connection_lost,  // the MQTT session dropped; the caller resumes after reconnect
  refused,          // the platform answered with a code other than 200
  malformed_reply,  // an answer we cannot read
  stopped,          // the daemon is stopping
};

[[nodiscard]] const std::error_category& subdev_category() noexcept;

[[nodiscard]] inline std::error_code make_error_code(SubdevErrc e) noexcept {
  return {static_cast<int>(e), subdev_category()};
}

}  // namespace otagw::subdev

template <>
struct std::is_error_code_enum<otagw::subdev::SubdevErrc> : std::true_type {};
