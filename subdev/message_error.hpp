#pragma once
// Why a message from the cloud was not converted (subdev/cloud_message.hpp).
// The Error's context names the field ("files[2].fileSize") so that a refusal
// sent back to the platform says what was wrong.
#include <system_error>
#include <type_traits>

namespace otagw::subdev {

enum class MessageErrc {
  unknown_topic = 1,  // not a topic the gateway subscribes to (or another gateway's)
  too_large,          // the payload is longer than the seam accepts
  not_json,           // not JSON, or not valid UTF-8
  too_deep,           // nested deeper than the seam accepts
  not_object,         // the message (or a part that must be one) is not a JSON object
  missing_field,      // a required field is absent
  wrong_type,         // a field has the wrong JSON type
  out_of_range,       // a number outside the range the field allows
  bad_value,          // a field of the right type whose value is unusable (length, characters, choice)
};

[[nodiscard]] const std::error_category& message_category() noexcept;

[[nodiscard]] inline std::error_code make_error_code(MessageErrc e) noexcept {
  return {static_cast<int>(e), message_category()};
}

}  // namespace otagw::subdev

template <>
struct std::is_error_code_enum<otagw::subdev::MessageErrc> : std::true_type {};
