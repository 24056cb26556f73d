#pragma once
// The registered sub-devices, grouped by device: the config lists one entry
// per (product_key, device_name, module), the platform and the OTA channel
// work per device.
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
};

struct Subdevice {
  std::string product_key;
  std::string device_name;
  config::Secret device_secret;
  std::vector<ModuleSpec> modules;  // in config order; at least one

  // "{pk}.{dn}": the platform's client id, and our key in state and logs.
  [[nodiscard]] std::string key() const { return product_key + "." + device_name; }  // state and file names
  // How a person reads the device: logs, messages, docs ("PK/DN").
  [[nodiscard]] std::string display_name() const { return product_key + "/" + device_name; }
};

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
  explicit Registry(const std::vector<config::SubdeviceConfig>& entries);

  [[nodiscard]] const std::vector<Subdevice>& devices() const noexcept { return devices_; }
  [[nodiscard]] const Subdevice* find(const std::string& product_key, const std::string& device_name) const;

 private:
  std::vector<Subdevice> devices_;  // in config order of first appearance
  std::unordered_map<std::string, std::size_t> index_;  // key() -> position
};

}  // namespace otagw::subdev
