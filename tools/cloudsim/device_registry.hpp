#pragma once
// The platform's run-time view of the scenario's sub-devices: topology,
// online state, and everything they did (for the report). Lookup by pk/dn
// without building a key string, since it runs for every message.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/secret.hpp"
#include "tools/cloudsim/scenario.hpp"

namespace otagw::cloudsim {

// One module as the firmware handler serves it; the reply's `data` is
// rendered once, up front.
struct ModuleState {
  std::string name;
  QueryMode query = QueryMode::reply;
  std::chrono::milliseconds delay{0};
  std::string data_json;  // the firmware object, or "{}" when up to date
  bool has_firmware = false;
  std::string target_version;  // the firmware's version; "" without firmware
  std::uint64_t offers = 0;    // replies and pushes that carried the firmware
  // The device reported target_version on inform: the platform counts the
  // upgrade as done and offers the firmware no more ("data":{}).
  bool installed = false;
  // The scenario's `alternate:` firmware (data_json and version), swapped
  // with the offered one whenever the device reports target_version, so the
  // module is never `installed`. Empty without it.
  std::string alternate_data_json;
  std::string alternate_version;
  std::uint64_t alternations = 0;  // swaps so far
};

struct QueryRecord {
  std::string module;
  std::int64_t t_ms = 0;
};

struct InformRecord {
  std::string version;
  std::string module;
  std::int64_t t_ms = 0;
};

struct ProgressRecord {
  std::string step;
  std::string desc;
  std::string module;
  std::int64_t t_ms = 0;
};

struct DeviceState {
  std::string product_key;
  std::string device_name;
  config::Secret device_secret;
  LoginMode login = LoginMode::accept;
  std::vector<ModuleState> modules;
  std::string bus;  // otagwd's bus of the device (kDefaultBus when the scenario gives none)

  bool topology = false;
  bool online = false;
  std::uint64_t logins = 0;
  std::uint64_t login_failures = 0;
  std::uint64_t pushes = 0;
  std::vector<QueryRecord> queries;
  std::vector<InformRecord> informs;
  std::vector<ProgressRecord> progress;

  // nullptr when the scenario does not know the module.
  [[nodiscard]] const ModuleState* find_module(std::string_view name) const noexcept;
  [[nodiscard]] ModuleState* find_module(std::string_view name) noexcept;
};

class DeviceRegistry {
 public:
  explicit DeviceRegistry(const std::vector<DeviceSpec>& devices);
  DeviceRegistry(const DeviceRegistry&) = delete;
  DeviceRegistry& operator=(const DeviceRegistry&) = delete;

  // nullptr when unknown. Pointers stay valid for the registry's lifetime.
  [[nodiscard]] DeviceState* find(std::string_view product_key, std::string_view device_name) noexcept;
  [[nodiscard]] const std::vector<DeviceState>& all() const noexcept { return devices_; }
  [[nodiscard]] std::vector<DeviceState>& all() noexcept { return devices_; }

 private:
  struct Key {
    std::string_view product_key;
    std::string_view device_name;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& key) const noexcept {
      const std::size_t a = std::hash<std::string_view>{}(key.product_key);
      const std::size_t b = std::hash<std::string_view>{}(key.device_name);
      return a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
    }
  };

  std::vector<DeviceState> devices_;  // never resized after construction: the index views into it
  std::unordered_map<Key, std::size_t, KeyHash> index_;
};

}  // namespace otagw::cloudsim
