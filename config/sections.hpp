#pragma once
// Parsers for the fixed sections of the main file. Each reads `node` (the
// section's value, null when the section is absent: all defaults), found with
// its key at `line`, into `out`, reporting every problem to `src`.
#include <yaml-cpp/yaml.h>

#include <string>

#include "config/config.hpp"
#include "config/source_context.hpp"

namespace otagw::config::detail {

void parse_gateway(const YAML::Node& node, int line, SourceContext& src, GatewayConfig& out);
// `gateway_product_key` names the default host when neither host nor instance_id is set.
void parse_mqtt(const YAML::Node& node, int line, SourceContext& src, const std::string& gateway_product_key,
                MqttConfig& out);
void parse_ota(const YAML::Node& node, int line, SourceContext& src, OtaConfig& out);
void parse_control(const YAML::Node& node, int line, SourceContext& src, ControlConfig& out);
void parse_log(const YAML::Node& node, int line, SourceContext& src, LogConfig& out);
void parse_plugins(const YAML::Node& node, int line, SourceContext& src, std::map<std::string, PluginConfig>& out);

}  // namespace otagw::config::detail
