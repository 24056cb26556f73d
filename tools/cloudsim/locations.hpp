#pragma once
// Where `otagw-cloudsim run` finds the programs it starts: in the build tree
// it was built in (when it runs from there), else where `make install` puts
// them, relative to this program (/proc/self/exe), so any prefix works.
// Paths are best guesses; the caller checks they exist.
#include <filesystem>
#include <string>

namespace otagw::cloudsim {

struct Locations {
  bool in_build_tree = false;
  std::filesystem::path build_dir;    // the build tree's root, as compiled in (${build})
  std::filesystem::path source_dir;   // the source tree's root, as compiled in (${source})
  std::filesystem::path otagwd;       // build tree, the install's sbin, beside this program, or PATH
  std::filesystem::path auth_plugin;  // otagw_mqtt_auth.so
  std::filesystem::path plugin_host;  // otagw-plugin-host (build tree or install); "" = otagwd's own default
  std::filesystem::path mosquitto;    // PATH, else /usr/sbin/mosquitto
};

[[nodiscard]] Locations find_locations();

// The first executable `name` in $PATH, or "".
[[nodiscard]] std::filesystem::path search_path(const std::string& name);

}  // namespace otagw::cloudsim
