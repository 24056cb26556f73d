#pragma once
// The environment a plugin runs with (docs/plugins.md, "Environment"): the
// daemon's own environment without any OTAGW_* variable, plus the job's
// OTAGW_* variables.
#include <string>
#include <vector>

#include "subdev/plugin_job.hpp"

namespace otagw::subdev {

enum class PluginCommand { flash, version };

// "flash" or "version": the plugin's argument.
[[nodiscard]] const char* command_name(PluginCommand command) noexcept;

// `inherited` is a NULL-terminated "NAME=value" array (the daemon passes
// environ). A version query gets no OTAGW_IMAGE / OTAGW_IMAGE_DIR; a flash
// gets OTAGW_IMAGE when job.image is set, else OTAGW_IMAGE_DIR.
[[nodiscard]] std::vector<std::string> plugin_environment(const PluginJob& job, PluginCommand command,
                                                          char* const* inherited);

}  // namespace otagw::subdev
