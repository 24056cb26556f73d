#pragma once
// One sub-device entry of a topology add or login request (protocol.md §3),
// resolved to the device the scenario knows, or to the failure the platform
// lists for it. Both handlers read entries this way; what they check next
// (topology, login mode) differs.
#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/cloudsim/device_list.hpp"
#include "tools/cloudsim/device_registry.hpp"
#include "tools/cloudsim/subdevice_auth.hpp"

namespace otagw::cloudsim {

struct ResolvedEntry {
  SubdeviceFields fields;  // views into the entry: valid while it lives
  DeviceState* device = nullptr;
};

// The entry's fields and its device, or nullopt after appending the failure
// to `failures`: unreadable fields (400 with the reason) or a device the
// scenario does not have (6100). The sign is not checked here.
[[nodiscard]] std::optional<ResolvedEntry> resolve_subdevice_entry(const nlohmann::json& entry,
                                                                   std::string_view request_sign_method,
                                                                   DeviceRegistry& devices,
                                                                   std::vector<DeviceFailure>& failures);

}  // namespace otagw::cloudsim
