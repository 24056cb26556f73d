#include "tools/cloudsim/locations.hpp"

#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <system_error>

// Set by CMakeLists.txt for this file only (so a rebuilt target does not
// recompile the rest).
#ifndef OTAGW_BUILD_DIR_PATH
#error "OTAGW_BUILD_DIR_PATH must be defined"
#endif

namespace otagw::cloudsim {
namespace {

bool executable(const std::filesystem::path& path) { return !path.empty() && ::access(path.c_str(), X_OK) == 0; }

bool is_under(const std::filesystem::path& path, const std::filesystem::path& dir) {
  const auto relative = path.lexically_normal().lexically_relative(dir.lexically_normal());
  return !relative.empty() && *relative.begin() != "..";
}

}  // namespace

std::filesystem::path search_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return {};
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const std::filesystem::path candidate = std::filesystem::path(dir) / name;
    if (executable(candidate)) return candidate;
  }
  return {};
}

Locations find_locations() {
  Locations where;
  where.build_dir = OTAGW_BUILD_DIR_PATH;
  where.source_dir = OTAGW_SOURCE_DIR_PATH;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  where.in_build_tree = !ec && is_under(self, where.build_dir);
  if (where.in_build_tree) {
    where.otagwd = OTAGWD_BUILD_PATH;
    where.auth_plugin = OTAGW_MQTT_AUTH_BUILD_PATH;
    if (executable(OTAGW_PLUGIN_HOST_BUILD_PATH)) where.plugin_host = OTAGW_PLUGIN_HOST_BUILD_PATH;
  } else {
    // Installed: the companions sit where the install put them relative to
    // this program, whatever the prefix (/usr from the .deb, /usr/local, a
    // DESTDIR tree).
    const auto installed = [&self, &ec](const char* relative) {
      return ec ? std::filesystem::path() : (self.parent_path() / relative).lexically_normal();
    };
    const auto beside = ec ? std::filesystem::path() : self.parent_path() / "otagwd";
    if (const auto sbin = installed(OTAGWD_FROM_CLOUDSIM); executable(sbin)) {
      where.otagwd = sbin;
    } else if (executable(beside)) {
      where.otagwd = beside;
    } else {
      where.otagwd = search_path("otagwd");
    }
    where.auth_plugin = installed(OTAGW_MQTT_AUTH_FROM_CLOUDSIM);
    if (const auto host = installed(OTAGW_PLUGIN_HOST_FROM_CLOUDSIM); executable(host)) where.plugin_host = host;
  }
  where.mosquitto = search_path("mosquitto");
  if (where.mosquitto.empty()) where.mosquitto = "/usr/sbin/mosquitto";
  return where;
}

}  // namespace otagw::cloudsim
