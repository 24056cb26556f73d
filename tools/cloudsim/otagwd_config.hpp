#pragma once
// The otagwd configuration that matches a scenario (the scenario is the one
// source of truth): the gateway, the broker on 127.0.0.1 without TLS, the
// state directory, the firmware server's CA, allow_http when a package is
// served over HTTP, the scenario's plugins, and one sub-device per device
// module with its secret, version, plugin and params.
//
// In plugin paths and in params' strings, ${work}, ${build}, ${source} and
// ${scenario} are replaced (see Variables); a relative plugin path is resolved
// against the scenario's directory.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/cloudsim/scenario.hpp"

namespace otagw::cloudsim {

struct OtagwdConfigOptions {
  std::string broker_host = "127.0.0.1";
  std::uint16_t broker_port = 0;
  std::filesystem::path state_dir;
  std::filesystem::path download_ca_file;  // "" = leave ota.download_ca_file out
  std::string scenario_name;               // for the header comment
};

// name -> value of ${name}.
using Variables = std::map<std::string, std::string, std::less<>>;

// ${work}: `work_dir`; ${build}/${source}: the trees the simulator was built
// from; ${scenario}: the scenario's directory.
[[nodiscard]] Variables make_variables(const Scenario& scenario, const std::filesystem::path& work_dir);

// `text` with every ${name} replaced; nullopt (and `error`) for an unknown
// name or an unterminated ${.
[[nodiscard]] std::optional<std::string> expand(std::string_view text, const Variables& variables, std::string& error);

struct RenderedConfig {
  std::string text;                 // complete only when errors is empty
  std::vector<std::string> errors;  // "device a1B/sub-1 module mcu: no version ..."
};

[[nodiscard]] RenderedConfig render_otagwd_config(const Scenario& scenario, const OtagwdConfigOptions& options,
                                                  const Variables& variables);

}  // namespace otagw::cloudsim
