#pragma once
// Sub-device lists: the main file's `subdevices` and each subdevices_dir file,
// parsed item by item, then checked together (duplicates, plugin names, the
// platform's cap), since a duplicate can span two files.
#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/source_context.hpp"

namespace otagw::config::detail {

// One list item as read, with what the cross-checks need to point at it.
struct SubdeviceEntry {
  SubdeviceConfig config;
  std::string key_path;                   // "subdevices[3]" in the main file, "[3]" in a subdevices_dir file
  int plugin_line = 0;                    // of its `plugin:` key
  int bus_line = 0;                       // of its `bus:` key, else of the entry
  int flash_windows_line = 0;             // of its `flash_windows:` key, else of the entry
  const SourceContext* source = nullptr;  // the file it is in; outlives the entry
};

// Parses the list `node` found at `list_path` (line `line`) and appends one
// entry per item, valid or not, so the total count is right.
void parse_subdevice_list(const YAML::Node& node, const std::string& list_path, int line, SourceContext& src,
                          std::vector<SubdeviceEntry>& out);

// Checks across all entries, in order: each plugin is a key of `plugins`, no
// (product_key, device_name, module) appears twice, the module entries of one
// device name the same bus and flash windows, at most
// kMaxSubdevicesPerGateway in total. Errors go to each entry's own file.
void check_subdevices(const std::vector<SubdeviceEntry>& entries, const std::map<std::string, PluginConfig>& plugins,
                      std::vector<ConfigError>& errors);

}  // namespace otagw::config::detail
