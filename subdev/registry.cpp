#include "subdev/registry.hpp"

#include <spdlog/spdlog.h>

#include "transports/device_log.hpp"

namespace otagw::subdev {

Registry::Registry(const std::vector<config::SubdeviceConfig>& entries) {
  for (const auto& entry : entries) {
    const std::string key = entry.product_key + "." + entry.device_name;
    auto [it, inserted] = index_.try_emplace(key, devices_.size());
    if (inserted) {
      devices_.push_back(Subdevice{entry.product_key, entry.device_name, entry.device_secret, {}});
    } else if (devices_[it->second].device_secret != entry.device_secret) {
      // A device has one secret; the first entry's is used for signing.
      device_log::warn(entry.product_key + "/" + entry.device_name, "",
                       "sub-device {}: module '{}' lists a different device secret than its first entry; using the first",
                       key, entry.module);
    }
    devices_[it->second].modules.push_back(ModuleSpec{entry.module, entry.version, entry.plugin, entry.params});
  }
}

const Subdevice* Registry::find(const std::string& product_key, const std::string& device_name) const {
  const auto it = index_.find(product_key + "." + device_name);
  return it == index_.end() ? nullptr : &devices_[it->second];
}

}  // namespace otagw::subdev
