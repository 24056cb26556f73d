#include "config/subdevices.hpp"

#include <tuple>

#include "config/closest_match.hpp"
#include "config/device_secret.hpp"
#include "config/flash_window_list.hpp"
#include "config/identifiers.hpp"
#include "config/message_text.hpp"
#include "config/yaml_map_reader.hpp"
#include "config/yaml_to_json.hpp"

namespace otagw::config::detail {

namespace {

SubdeviceEntry parse_subdevice(const YAML::Node& node, std::string path, SourceContext& src) {
  SubdeviceEntry entry;
  entry.key_path = std::move(path);
  entry.source = &src;
  entry.config.source_file = src.shared_file();
  entry.config.source_line = line_of(node);
  entry.plugin_line = entry.config.source_line;
  entry.bus_line = entry.config.source_line;
  entry.flash_windows_line = entry.config.source_line;

  if (node.IsNull()) {
    src.error(entry.key_path, entry.config.source_line, "empty list item; expected a sub-device map");
    return entry;
  }
  const MapReader map(
      node, entry.key_path, entry.config.source_line, src,
      {"product_key", "device_name", "device_secret", "device_secret_file", "version", "module", "plugin", "params",
       "bus", "flash_windows"});
  if (!map.ok()) return entry;
  SubdeviceConfig& out = entry.config;
  if (auto v = map.string("product_key", {.required = true, .check = check_product_key})) out.product_key = *v;
  if (auto v = map.string("device_name", {.required = true, .check = check_device_name})) out.device_name = *v;
  if (auto secret = read_device_secret(map, src)) out.device_secret = std::move(*secret);
  if (auto v = map.string("version", {.required = true, .check = check_version})) out.version = *v;
  if (auto v = map.string("module", {.check = check_module})) out.module = *v;
  if (auto v = map.string("plugin", {.required = true})) out.plugin = *v;
  entry.plugin_line = map.line("plugin");
  if (auto v = map.string("bus", {.check = check_bus})) out.bus = *v;
  entry.bus_line = map.line("bus");
  out.flash_windows = read_flash_windows(map, src, "flash_windows", NullWindows::refused);
  entry.flash_windows_line = map.line("flash_windows");

  const YAML::Node params = map.value("params");
  if (params.IsMap()) {
    if (auto json = yaml_to_json(params, map.path("params"), map.line("params"), src)) out.params = std::move(*json);
  } else if (!params.IsNull()) {
    map.error("params", "expected a map, got " + describe(params));
  }
  return entry;
}

// "subdevices[0] (line 12)", with " in FILE" when it is in another file than `from`.
std::string where(const SubdeviceEntry& entry, const SubdeviceEntry& from) {
  std::string text = entry.key_path;
  if (entry.source->file() != from.source->file()) text += " in " + entry.source->file().string();
  return text + " (line " + std::to_string(entry.config.source_line) + ")";
}

std::vector<std::string_view> plugin_names(const std::map<std::string, PluginConfig>& plugins) {
  std::vector<std::string_view> names;
  names.reserve(plugins.size());
  for (const auto& [name, plugin] : plugins) names.push_back(name);
  return names;
}

// How a device's windows read in a message: "[02:00-05:00, 22:00-23:00]",
// "[]" or "none (ota.flash_windows)".
std::string windows_text(const std::optional<std::vector<FlashWindow>>& windows) {
  if (!windows) return "none (ota.flash_windows)";
  std::string text = "[";
  for (const FlashWindow& window : *windows) {
    if (text.size() > 1) text += ", ";
    text += to_string(window);
  }
  return text + "]";
}

ConfigError error_at(const SubdeviceEntry& entry, std::string key_path, int line, std::string message) {
  return ConfigError{entry.source->file(), std::move(key_path), line, std::move(message)};
}

// `entry` is a later module entry of the device `first` starts.
void check_same_device(const SubdeviceEntry& first, const SubdeviceEntry& entry, std::vector<ConfigError>& errors) {
  const SubdeviceConfig& device = entry.config;
  const std::string name = device.product_key + "/" + device.device_name;
  if (device.bus != first.config.bus) {
    errors.push_back(error_at(entry, join_path(entry.key_path, "bus"), entry.bus_line,
                              name + " is on bus " + quote_value(device.bus) + " here but on bus " +
                                  quote_value(first.config.bus) + " at " + where(first, entry) +
                                  "; every module entry of a device names the same bus"));
  }
  if (device.flash_windows != first.config.flash_windows) {
    errors.push_back(error_at(entry, join_path(entry.key_path, "flash_windows"), entry.flash_windows_line,
                              name + " has flash_windows " + windows_text(device.flash_windows) + " here but " +
                                  windows_text(first.config.flash_windows) + " at " + where(first, entry) +
                                  "; every module entry of a device names the same windows"));
  }
}

}  // namespace

void parse_subdevice_list(const YAML::Node& node, const std::string& list_path, int line, SourceContext& src,
                          std::vector<SubdeviceEntry>& out) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    src.error(list_path, line, "expected a list of sub-devices, got " + describe(node));
    return;
  }
  std::size_t index = 0;
  for (const YAML::Node& item : node) {
    out.push_back(parse_subdevice(item, index_path(list_path, index), src));
    ++index;
  }
}

void check_subdevices(const std::vector<SubdeviceEntry>& entries, const std::map<std::string, PluginConfig>& plugins,
                      std::vector<ConfigError>& errors) {
  const std::vector<std::string_view> names = plugin_names(plugins);
  using Identity = std::tuple<std::string, std::string, std::string>;
  std::map<Identity, const SubdeviceEntry*> first_seen;
  // The first entry of each device: its other modules must agree on what
  // the scheduler reads per device.
  std::map<std::pair<std::string, std::string>, const SubdeviceEntry*> first_of_device;

  for (std::size_t i = 0; i < entries.size(); ++i) {
    const SubdeviceEntry& entry = entries[i];
    const SubdeviceConfig& device = entry.config;
    if (i == kMaxSubdevicesPerGateway) {
      // One error, at the first device over the cap, rather than one per extra device.
      errors.push_back(error_at(entry, entry.key_path, device.source_line,
                                "more than " + std::to_string(kMaxSubdevicesPerGateway) +
                                    " sub-devices in total (the platform's limit per gateway); found " +
                                    std::to_string(entries.size())));
    }
    if (!device.plugin.empty() && plugins.count(device.plugin) == 0) {
      std::string message = "unknown plugin " + quote_value(device.plugin);
      if (auto hint = closest_match(device.plugin, names)) message += ", did you mean '" + *hint + "'?";
      errors.push_back(error_at(entry, join_path(entry.key_path, "plugin"), entry.plugin_line, std::move(message)));
    }
    if (device.product_key.empty() || device.device_name.empty()) continue;  // already reported
    const auto [first, is_first] = first_of_device.emplace(std::pair{device.product_key, device.device_name}, &entry);
    if (!is_first) check_same_device(*first->second, entry, errors);
    const auto [it, inserted] =
        first_seen.emplace(Identity{device.product_key, device.device_name, device.module}, &entry);
    if (!inserted) {
      // Same (product_key, device_name, module): the platform would see one device.
      std::string name = device.product_key + "/" + device.device_name;
      if (!device.module.empty()) name += " (module " + device.module + ")";
      errors.push_back(error_at(entry, entry.key_path, device.source_line,
                                name + " is already listed at " + where(*it->second, entry)));
    }
  }
}

}  // namespace otagw::config::detail
