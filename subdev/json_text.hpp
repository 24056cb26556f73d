#pragma once
// JSON to text for everything the gateway writes (MQTT payloads, state and
// journal files). Text that came from the cloud or a plugin may hold bytes
// that are not UTF-8 (a name cut inside a character, a plugin's output), on
// which nlohmann's dump() throws by default; here they become U+FFFD.
#include <string>

#include <nlohmann/json.hpp>

namespace otagw::subdev {

[[nodiscard]] inline std::string json_text(const nlohmann::json& value, int indent = -1) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace otagw::subdev
