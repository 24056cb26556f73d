#include "subdev/plugin_environment.hpp"

#include <string_view>

namespace otagw::subdev {
namespace {

// JSON for an environment variable: compact, and never throwing on a string
// that is not valid UTF-8 (dump() would, by default).
std::string env_json(const nlohmann::json& value, const char* if_null) {
  if (value.is_null()) return if_null;
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

const char* command_name(PluginCommand command) noexcept {
  return command == PluginCommand::flash ? "flash" : "version";
}

std::vector<std::string> plugin_environment(const PluginJob& job, PluginCommand command, char* const* inherited) {
  std::vector<std::string> env;
  // A stale OTAGW_IMAGE from the daemon's own environment must never reach a
  // version query, so the whole namespace is ours.
  for (auto entry = inherited; entry != nullptr && *entry != nullptr; ++entry) {
    if (!std::string_view(*entry).starts_with("OTAGW_")) env.emplace_back(*entry);
  }
  auto set = [&env](std::string_view name, std::string_view value) {
    std::string entry(name);
    entry += '=';
    entry += value;
    env.push_back(std::move(entry));
  };
  if (command == PluginCommand::flash) {
    if (!job.image.empty()) {
      set("OTAGW_IMAGE", job.image.string());
    } else {
      set("OTAGW_IMAGE_DIR", job.image_dir.string());
    }
  }
  set("OTAGW_PRODUCT_KEY", job.product_key);
  set("OTAGW_DEVICE_NAME", job.device_name);
  set("OTAGW_TARGET_VERSION", job.target_version);
  set("OTAGW_CURRENT_VERSION", job.current_version);
  set("OTAGW_MODULE", job.module);
  set("OTAGW_PARAMS", env_json(job.params, "{}"));
  set("OTAGW_EXT_DATA", job.ext_data.empty() ? std::string_view("{}") : std::string_view(job.ext_data));
  set("OTAGW_IS_DIFF", job.is_diff ? "1" : "0");
  return env;
}

}  // namespace otagw::subdev
