#pragma once
// The parts of the scenario that go beyond the platform's protocol: packages
// the simulator serves, the otagwd side of devices (version, plugin, params),
// plugins, expectations and otagwd settings. Used by scenario_load.cpp only.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/error_sink.hpp"
#include "config/yaml_map_reader.hpp"
#include "config/yaml_to_json.hpp"
#include "tools/cloudsim/scenario.hpp"
#include "tools/cloudsim/scenario_load.hpp"

namespace otagw::cloudsim::detail {

using config::MapReader;

// Every error of one scenario, in the order found: the user sees them all at
// once.
class ScenarioErrors final : public config::ErrorSink {
 public:
  void error(std::string path, int line, std::string message) override {
    list_.push_back(ScenarioError{std::move(path), line, std::move(message)});
  }
  [[nodiscard]] std::size_t count() const noexcept { return list_.size(); }
  [[nodiscard]] std::vector<ScenarioError> take() { return std::move(list_); }

 private:
  std::vector<ScenarioError> list_;
};

// ASCII case-insensitive equality (signMethod: Md5, md5, SHA256, ...).
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

// An integer in [min, max] that must be there ("missing required key").
[[nodiscard]] std::optional<std::int64_t> required_integer(const MapReader& map, std::string_view key,
                                                           std::int64_t min, std::int64_t max);

// `bus:` of a device (one name) or of a generate entry (`list_ok`: one name
// or a list the devices take in turn), each checked with otagwd's rule. Empty
// when absent or invalid (reported).
[[nodiscard]] std::vector<std::string> parse_buses(const MapReader& map, bool list_ok);

// version / plugin / params / flash_seconds of a device, a generate entry or a module (the
// keys must be among the MapReader's known keys).
void parse_gateway_side(const MapReader& map, GatewaySide& side, ScenarioErrors& errors);

// Packages and plugins before the devices (which refer to them), expect
// after them (it names devices).
void parse_packages(const YAML::Node& node, Scenario& scenario, ScenarioErrors& errors);
void parse_plugins(const YAML::Node& node, Scenario& scenario, ScenarioErrors& errors);
void parse_expect(const YAML::Node& node, Scenario& scenario, ScenarioErrors& errors);
void parse_otagwd(const YAML::Node& node, Scenario& scenario, ScenarioErrors& errors);

// A module's `package:` must name a package, and the package's module (if
// any) must be this module. Packages must be parsed first.
void check_package_reference(const MapReader& map, const Scenario& scenario, const ModuleSpec& module);
// A `plugin:` must name a scenario plugin. Plugins must be parsed first.
void check_plugin_reference(const MapReader& map, const Scenario& scenario, const GatewaySide& side);

}  // namespace otagw::cloudsim::detail
