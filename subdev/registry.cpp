#include "subdev/registry.hpp"

#include <spdlog/spdlog.h>

#include "transports/device_log.hpp"

namespace otagw::subdev {

Registry::Registry(const std::vector<config::SubdeviceConfig>& entries, const Registry* previous) {
  std::vector<Subdevice> built;
  for (const auto& entry : entries) {
    const std::string key = entry.product_key + "." + entry.device_name;
    auto [it, inserted] = index_.try_emplace(key, built.size());
    if (inserted) {
      // The loader checked that every module entry of a device names the
      // same bus and windows: the first entry's stand for all.
      built.push_back(Subdevice{entry.product_key, entry.device_name, entry.device_secret, {}, entry.bus,
                                entry.flash_windows});
    } else if (built[it->second].device_secret != entry.device_secret) {
      // A device has one secret; the first entry's is used for signing.
      device_log::warn(entry.product_key + "/" + entry.device_name, "",
                       "sub-device {}: module '{}' lists a different device secret than its first entry; using the first",
                       built[it->second].display_name(), entry.module);
    }
    built[it->second].modules.push_back(ModuleSpec{entry.module, entry.version, entry.plugin, entry.params});
  }
  devices_.reserve(built.size());
  for (Subdevice& device : built) {
    SubdevicePtr kept = previous != nullptr ? previous->find_key(device.key()) : nullptr;
    devices_.push_back(kept && kept->same_as(device) ? std::move(kept)
                                                     : std::make_shared<const Subdevice>(std::move(device)));
  }
}

const Subdevice* Registry::find(const std::string& product_key, const std::string& device_name) const {
  return find_key(product_key + "." + device_name).get();
}

SubdevicePtr Registry::find_key(const std::string& device_key) const {
  const auto it = index_.find(device_key);
  return it == index_.end() ? nullptr : devices_[it->second];
}

RegistryDiff diff(const Registry& before, const Registry& after) {
  RegistryDiff out;
  for (const SubdevicePtr& device : after.devices()) {
    const SubdevicePtr old = before.find_key(device->key());
    if (!old) {
      out.added.push_back(device);
    } else if (old != device) {
      out.updated.push_back(device);
    }
  }
  for (const SubdevicePtr& device : before.devices()) {
    if (!after.find_key(device->key())) out.removed.push_back(device);
  }
  return out;
}

}  // namespace otagw::subdev
