#pragma once
// The daemon's configuration as plain structs. Values here are already
// validated and resolved (defaults applied, *_file secrets read, the default
// MQTT host derived); see docs/configuration.md for every key.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/flash_window.hpp"
#include "config/host_pattern.hpp"
#include "config/secret.hpp"

namespace otagw::config {

// The platform's caps (protocol.md §3).
inline constexpr std::size_t kMaxSubdevicesPerGateway = 2000;

enum class LogLevel { trace, debug, info, warn, error };

struct GatewayConfig {
  std::string product_key;
  std::string device_name;
  Secret device_secret;  // from device_secret or the contents of device_secret_file

  bool operator==(const GatewayConfig&) const = default;
};

struct MqttConfig {
  std::string host;         // resolved: explicit, or derived from instance_id / region
  std::string instance_id;  // empty = not set
  std::string region = "cn-shanghai";
  std::uint16_t port = 443;  // resolved: 443 with tls, 1883 without, unless set
  bool tls = true;
  bool tls_verify = true;
  std::string ca_file;  // empty = system trust store; else resolved, checked readable at load
  int keepalive_s = 60;
  int connect_retry_s = 60;
  int connect_timeout_s = 30;  // one TCP+TLS+CONNACK attempt
  int max_publish_per_s = 0;   // 0 = unpaced

  bool operator==(const MqttConfig&) const = default;
};

struct OtaConfig {
  std::filesystem::path state_dir = "/var/lib/otagw";
  // Volatile per-boot files (the OTA channel's crash-loop markers). Empty:
  // systemd's $RUNTIME_DIRECTORY, else state_dir/run.
  std::filesystem::path runtime_dir;
  int query_timeout_s = 25;
  int sweep_interval_s = 3600;
  bool allow_http = false;
  std::string download_ca_file;  // empty = system trust store
  std::uint64_t max_image_bytes = 536870912;
  int low_speed_timeout_s = 30;
  int download_retry_s = 300;
  int max_online = 2000;
  // A reload that removes a sub-device also deletes its topology (thing.topo.delete).
  bool delete_removed_topology = false;
  // Hosts a firmware URL (and every redirect) may name; empty = any host.
  std::vector<HostPattern> allowed_download_hosts;
  // Jobs downloading or verifying at once; below max_online (checked at load):
  // a job's device stays online, and the OTA channel needs a seat of its own.
  int max_parallel_downloads = 2;
  // Bytes under state_dir of verified images waiting for their bus or window
  // plus downloads in flight.
  std::uint64_t max_staging_bytes = 1073741824;
  // When devices may be flashed (local time); empty = always. A sub-device's
  // own list replaces it.
  std::vector<FlashWindow> flash_windows;
  // Windows open only once the system clock is synchronised (a gateway without
  // a real-time clock boots in 1970). false: a battery-backed RTC, or tests.
  bool require_synced_clock = true;

  bool operator==(const OtaConfig&) const = default;
};

struct ControlConfig {
  std::filesystem::path socket = "/run/otagw/otagw.sock";  // empty = no control socket
  std::string group = "otagwctl";                          // the socket's group (docs/control.md)
  int max_clients = 32;

  bool operator==(const ControlConfig&) const = default;
};

struct LogConfig {
  LogLevel level = LogLevel::info;

  bool operator==(const LogConfig&) const = default;
};

struct PluginConfig {
  enum class Kind { exec, library };
  std::string name;
  Kind kind = Kind::exec;
  std::filesystem::path path;  // the `exec:` or `library:` value, resolved against the config file's directory
  int timeout_s = 600;
  int version_timeout_s = 30;
  // After a flash, how long the plugin's `version` is asked (at once, then
  // every 5 s) until the device answers the target.
  int confirm_timeout_s = 60;

  bool operator==(const PluginConfig&) const = default;
};

struct SubdeviceConfig {
  std::string product_key;
  std::string device_name;
  Secret device_secret;
  std::string version;  // reported when the plugin cannot tell
  std::string module;   // empty = the default module
  std::string plugin;   // a key of Config::plugins
  nlohmann::json params = nlohmann::json::object();
  // The bus its plugin talks over: one device-facing plugin call at a time per
  // bus. Every module entry of a device names the same bus (checked at load).
  std::string bus = "default";
  // nullopt = ota.flash_windows; an empty list = always open for this device.
  // The same in every module entry of a device (checked at load).
  std::optional<std::vector<FlashWindow>> flash_windows = std::nullopt;
  // Where it was declared, for messages: the main config or a subdevices_dir
  // file; null in a config not read from a file. Shared by every entry of the
  // file: a path holds its components, some 250 bytes per copy.
  std::shared_ptr<const std::filesystem::path> source_file;
  int source_line = 0;
};

struct Config {
  GatewayConfig gateway;
  MqttConfig mqtt;
  OtaConfig ota;
  ControlConfig control;
  LogConfig log;
  std::map<std::string, PluginConfig> plugins;
  std::vector<SubdeviceConfig> subdevices;  // `subdevices` first, then subdevices_dir files by name
  std::filesystem::path subdevices_dir;     // empty = not set
};

}  // namespace otagw::config
