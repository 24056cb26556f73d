#pragma once
// The `data` arrays of topology and session replies.
#include <string>
#include <string_view>
#include <vector>

namespace otagw::cloudsim {

// A device a request could not handle, with the code it got.
struct DeviceFailure {
  std::string product_key;
  std::string device_name;
  int code = 0;
  std::string message;
};

// [{"productKey","deviceName"},...]
[[nodiscard]] std::string render_device_list(const std::vector<std::pair<std::string_view, std::string_view>>& devices);

// [{"productKey","deviceName","code","message"},...]
[[nodiscard]] std::string render_failures(const std::vector<DeviceFailure>& failures);

}  // namespace otagw::cloudsim
