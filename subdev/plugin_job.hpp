#pragma once
// What the daemon knows about one flash (or version query) of one sub-device
// module: the input of a plugin run. See docs/plugins.md for how each field
// reaches the plugin.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace otagw::subdev {

struct PluginJob {
  std::string product_key;
  std::string device_name;
  std::string module;           // empty = the default module
  std::string target_version;   // the offered version (may be empty for a version query)
  std::string current_version;  // what the daemon believes the device runs
  nlohmann::json params = nlohmann::json::object();    // the device's config params
  std::string ext_data;  // the offer's extData as JSON text (an object); empty = none
  bool is_diff = false;                                // a delta package
  // Flash only: exactly one of these, the verified image (read-only for the
  // plugin), or a directory holding a multi-file package and manifest.json.
  std::filesystem::path image;
  std::filesystem::path image_dir;
  // The plugin's working directory, created by the caller (empty = inherit
  // the daemon's).
  std::filesystem::path work_dir;

  // "{pk}.{dn}", as in Subdevice::key(): the prefix of the plugin's log lines.
  [[nodiscard]] std::string device_key() const { return product_key + "." + device_name; }
  // How a person reads the device: logs, messages, docs ("PK/DN").
  [[nodiscard]] std::string display_name() const { return product_key + "/" + device_name; }
};

}  // namespace otagw::subdev
