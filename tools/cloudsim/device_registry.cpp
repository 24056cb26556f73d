#include "tools/cloudsim/device_registry.hpp"

#include "tools/cloudsim/firmware_json.hpp"

namespace otagw::cloudsim {

const ModuleState* DeviceState::find_module(std::string_view name) const noexcept {
  for (const auto& module : modules) {
    if (module.name == name) return &module;
  }
  return nullptr;
}

ModuleState* DeviceState::find_module(std::string_view name) noexcept {
  for (auto& module : modules) {
    if (module.name == name) return &module;
  }
  return nullptr;
}

DeviceRegistry::DeviceRegistry(const std::vector<DeviceSpec>& devices) {
  devices_.reserve(devices.size());
  for (const auto& spec : devices) {
    DeviceState state;
    state.product_key = spec.product_key;
    state.device_name = spec.device_name;
    state.device_secret = spec.device_secret;
    state.login = spec.login;
    state.topology = spec.topology_present;
    state.bus = spec.bus.empty() ? std::string(kDefaultBus) : spec.bus;
    for (const auto& module_spec : spec.modules) {
      ModuleState module;
      module.name = module_spec.name;
      module.query = module_spec.query;
      module.delay = module_spec.delay;
      module.has_firmware = module_spec.firmware.has_value();
      module.data_json = module.has_firmware ? firmware_json(*module_spec.firmware, module.name).dump() : "{}";
      if (module.has_firmware) module.target_version = module_spec.firmware->version;
      if (module_spec.alternate) {
        module.alternate_data_json = firmware_json(*module_spec.alternate, module.name).dump();
        module.alternate_version = module_spec.alternate->version;
      }
      state.modules.push_back(std::move(module));
    }
    devices_.push_back(std::move(state));
  }
  // Keys view the strings inside devices_, which no longer move.
  index_.reserve(devices_.size());
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    index_.emplace(Key{devices_[i].product_key, devices_[i].device_name}, i);
  }
}

DeviceState* DeviceRegistry::find(std::string_view product_key, std::string_view device_name) noexcept {
  const auto it = index_.find(Key{product_key, device_name});
  return it == index_.end() ? nullptr : &devices_[it->second];
}

}  // namespace otagw::cloudsim
