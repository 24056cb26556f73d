#pragma once
// Reading what a firmware-job test left behind: the simulator's report (the
// platform's view: informs, progress steps), the recorder plugin's files (the
// device's view) and otagwd's state files. Header-only, shared by the job
// tests and the reliability suite.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/subdev/cloud_fixture.hpp"

namespace otagw::sweep_test {

inline const nlohmann::json& device_in(const nlohmann::json& report, const std::string& name) {
  for (const auto& device : report.at("devices")) {
    if (device.at("device_name") == name) return device;
  }
  throw std::runtime_error("no device " + name + " in the report");
}

// The progress steps the platform got for a device, in order ("10", "-3").
inline std::vector<std::string> steps_of(const nlohmann::json& device) {
  std::vector<std::string> steps;
  for (const auto& p : device.at("progress")) steps.push_back(p.at("step").get<std::string>());
  return steps;
}

// The versions a device reported on inform, in order.
inline std::vector<std::string> informs_of(const nlohmann::json& device) {
  std::vector<std::string> versions;
  for (const auto& i : device.at("informs")) versions.push_back(i.at("version").get<std::string>());
  return versions;
}

inline std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::size_t lines_in(const std::filesystem::path& path) {
  const auto text = read(path);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// The recorder plugin (tests/subdev/plugins/recorder): it records every
// flash in its target_dir and answers `version` from target_dir/VERSION.
inline const std::string kRecorder = std::string(OTAGW_SOURCE_DIR) + "/tests/subdev/plugins/recorder";

inline CloudOptions recorder_options(const std::string& ota_extra = "allow_http: true, download_retry_s: 0") {
  CloudOptions options;
  options.ota_extra = ota_extra;
  options.plugins_yaml = "{rec: {exec: \"" + kRecorder + "\", timeout_s: 20, version_timeout_s: 5}}";
  return options;
}

// A device flashed by the recorder into `target`; `params_extra` adds
// recorder params ("sleep_s: 2", "fail: 1", "keep_version: 1").
inline SimDevice device(const std::string& name, const std::filesystem::path& target, const std::string& scenario,
                        const std::string& params_extra = {}) {
  SimDevice d{name, scenario, {}, {}, "rec"};
  d.config_extra = "params: {target_dir: \"" + target.string() + "\"" + (params_extra.empty() ? "" : ", ") +
                   params_extra + "}";
  return d;
}

// A scenario entry offering `firmware` (firmware_yaml(...)) on query.
inline std::string by_query(const std::string& firmware) { return "modules: {default: {" + firmware + "}}"; }

}  // namespace otagw::sweep_test
