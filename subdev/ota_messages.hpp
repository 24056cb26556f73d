#pragma once
// The two messages of every visit, inform and thing.ota.firmware.get, as text:
// built as strings rather than as nlohmann objects, which cost 2 us a visit
// (measured) of the 25-30 us the gateway spends between one device's reply
// and the next device's query. Byte for byte what json_text() writes for
// those objects: keys in its order, the same escapes.
#include <string>
#include <string_view>

namespace otagw::subdev {

// {"id":"<id>","params":{["module":"<module>",]"version":"<version>"}}
// (no "module" for the default module, "").
[[nodiscard]] std::string inform_message(std::string_view id, std::string_view module, std::string_view version);

// {"id":"<id>","method":"thing.ota.firmware.get","params":{["module":"<module>"]},"version":"1.0"}
[[nodiscard]] std::string firmware_get_message(std::string_view id, std::string_view module);

}  // namespace otagw::subdev
