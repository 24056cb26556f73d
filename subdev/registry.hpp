#pragma once
// The registered sub-devices, grouped by device: the config lists one entry
// per (product_key, device_name, module), the platform and the OTA channel
// work per device.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"

namespace otagw::subdev {

struct ModuleSpec {
  std::string name;                // empty = the default module
  std::string configured_version;  // reported when nothing better is known
  std::string plugin;              // a key of config::Config::plugins
  nlohmann::json params;

  bool operator==(const ModuleSpec&) const = default;
};

struct Subdevice {
  std::string product_key;
  std::string device_name;
  config::Secret device_secret;
  std::vector<ModuleSpec> modules;  // in config order; at least one
  // One device-facing plugin call at a time per bus (config::SubdeviceConfig::bus).
  std::string bus = "default";
  // nullopt = ota.flash_windows; empty = always open for this device.
  std::optional<std::vector<config::FlashWindow>> flash_windows = std::nullopt;

  // "{pk}.{dn}": the platform's client id, and our key in state and logs.
  [[nodiscard]] std::string key() const { return product_key + "." + device_name; }  // state and file names
  // How a person reads the device: logs, messages, docs ("PK/DN").
  [[nodiscard]] std::string display_name() const { return product_key + "/" + device_name; }

  // Same identity, secret, modules, bus and windows (a reload keeps such a
  // device as it is).
  [[nodiscard]] bool same_as(const Subdevice& other) const {
    return product_key == other.product_key && device_name == other.device_name &&
           !(device_secret != other.device_secret) && modules == other.modules && bus == other.bus &&
           flash_windows == other.flash_windows;
  }
};

// Devices are shared: a visit or job holds the one it started with, and a
// reload that leaves a device unchanged keeps the very same object, so
// pointers to it held elsewhere (the online set) stay valid.
using SubdevicePtr = std::shared_ptr<const Subdevice>;

// "PK/DN" from a key() "PK.DN" (a product key has no '.'), for the log of
// code that holds only the key.
[[nodiscard]] inline std::string display_name_of_key(std::string_view key) {
  std::string name(key);
  if (const auto dot = name.find('.'); dot != std::string::npos) name[dot] = '/';
  return name;
}

class Registry {
 public:
  Registry() = default;
  // `previous` (a reload): devices it holds unchanged are taken over as they are.
  explicit Registry(const std::vector<config::SubdeviceConfig>& entries, const Registry* previous = nullptr);

  [[nodiscard]] const std::vector<SubdevicePtr>& devices() const noexcept { return devices_; }
  [[nodiscard]] const Subdevice* find(const std::string& product_key, const std::string& device_name) const;
  [[nodiscard]] SubdevicePtr find_key(const std::string& device_key) const;

 private:
  std::vector<SubdevicePtr> devices_;  // in config order of first appearance
  std::unordered_map<std::string, std::size_t> index_;  // key() -> position
};

}  // namespace otagw::subdev

namespace otagw::subdev {

// What a reload changes in the device list, by device key.
struct RegistryDiff {
  std::vector<SubdevicePtr> added;
  std::vector<SubdevicePtr> removed;  // the old objects
  // The new objects: modules, plugin, params, version, secret, bus or windows changed.
  std::vector<SubdevicePtr> updated;
  [[nodiscard]] bool empty() const noexcept { return added.empty() && removed.empty() && updated.empty(); }
};

[[nodiscard]] RegistryDiff diff(const Registry& before, const Registry& after);

}  // namespace otagw::subdev
