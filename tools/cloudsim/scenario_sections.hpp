#pragma once
// The parts of the scenario that go beyond the platform's protocol: packages
// the simulator serves, the otagwd side of devices (version, plugin, params),
// plugins, expectations and otagwd settings. Used by scenario_load.cpp only.
#include <string>

#include <yaml-cpp/yaml.h>

#include "tools/cloudsim/scenario.hpp"
#include "tools/cloudsim/yaml_reader.hpp"

namespace otagw::cloudsim::detail {

// version / plugin / params of a device, a generate entry or a module (the
// keys must be among the MapReader's known keys).
void parse_gateway_side(const MapReader& map, GatewaySide& side, YamlErrors& errors);

// Packages and plugins before the devices (which refer to them), expect
// after them (it names devices).
void parse_packages(const YAML::Node& node, Scenario& scenario, YamlErrors& errors);
void parse_plugins(const YAML::Node& node, Scenario& scenario, YamlErrors& errors);
void parse_expect(const YAML::Node& node, Scenario& scenario, YamlErrors& errors);
void parse_otagwd(const YAML::Node& node, Scenario& scenario, YamlErrors& errors);

// A module's `package:` must name a package, and the package's module (if
// any) must be this module. Packages must be parsed first.
void check_package_reference(const MapReader& map, const Scenario& scenario, const ModuleSpec& module);
// A `plugin:` must name a scenario plugin. Plugins must be parsed first.
void check_plugin_reference(const MapReader& map, const Scenario& scenario, const GatewaySide& side);

}  // namespace otagw::cloudsim::detail
