#include "tools/cloudsim/subdevice_entry.hpp"

#include <string>

#include "tools/cloudsim/reply_codes.hpp"

namespace otagw::cloudsim {

std::optional<ResolvedEntry> resolve_subdevice_entry(const nlohmann::json& entry, std::string_view request_sign_method,
                                                     DeviceRegistry& devices, std::vector<DeviceFailure>& failures) {
  std::string why;
  const auto fields = read_subdevice_fields(entry, request_sign_method, why);
  if (!fields) {
    auto [pk, dn] = entry_identity(entry);
    failures.push_back({std::move(pk), std::move(dn), codes::kBadRequest, std::move(why)});
    return std::nullopt;
  }
  DeviceState* device = devices.find(fields->product_key, fields->device_name);
  if (device == nullptr) {
    failures.push_back({std::string(fields->product_key), std::string(fields->device_name), codes::kDeviceNotFound,
                        "device not found"});
    return std::nullopt;
  }
  return ResolvedEntry{*fields, device};
}

}  // namespace otagw::cloudsim
