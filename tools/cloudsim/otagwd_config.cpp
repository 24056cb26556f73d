#include "tools/cloudsim/otagwd_config.hpp"

#include "tools/cloudsim/locations.hpp"

namespace otagw::cloudsim {
namespace {

// A JSON string is a valid YAML double-quoted scalar: no quoting rule of
// YAML can then change what otagwd reads.
std::string yaml_quoted(std::string_view text) { return nlohmann::json(std::string(text)).dump(); }

// params with ${...} expanded in every string (keys too).
std::optional<nlohmann::json> expand_json(const nlohmann::json& value, const Variables& variables, std::string& error) {
  if (value.is_string()) {
    auto text = expand(value.get_ref<const std::string&>(), variables, error);
    if (!text) return std::nullopt;
    return nlohmann::json(std::move(*text));
  }
  if (value.is_object()) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& [key, item] : value.items()) {
      auto expanded = expand_json(item, variables, error);
      if (!expanded) return std::nullopt;
      object[key] = std::move(*expanded);
    }
    return object;
  }
  if (value.is_array()) {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& item : value) {
      auto expanded = expand_json(item, variables, error);
      if (!expanded) return std::nullopt;
      array.push_back(std::move(*expanded));
    }
    return array;
  }
  return value;
}

bool uses_http(const Scenario& scenario) {
  for (const auto& [name, package] : scenario.packages) {
    if (!package.https) return true;
  }
  // Inline firmware with an http:// url counts too.
  for (const auto& device : scenario.devices) {
    for (const auto& module : device.modules) {
      if (module.firmware && module.firmware->url.starts_with("http://")) return true;
    }
  }
  return false;
}

}  // namespace

Variables make_variables(const Scenario& scenario, const std::filesystem::path& work_dir) {
  const Locations where = find_locations();
  return {
      {"work", work_dir.string()},
      {"build", where.build_dir.string()},
      {"source", where.source_dir.string()},
      {"scenario", scenario.base_dir.string()},
  };
}

std::optional<std::string> expand(std::string_view text, const Variables& variables, std::string& error) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 2, "${") != 0) {
      out += text[i++];
      continue;
    }
    const auto end = text.find('}', i + 2);
    if (end == std::string_view::npos) {
      error = "unterminated ${ in '" + std::string(text.substr(0, 80)) + "'";
      return std::nullopt;
    }
    const auto name = text.substr(i + 2, end - i - 2);
    const auto it = variables.find(name);
    if (it == variables.end()) {
      error = "unknown variable ${" + std::string(name) + "} (known: ${work}, ${build}, ${source}, ${scenario})";
      return std::nullopt;
    }
    out += it->second;
    i = end + 1;
  }
  return out;
}

RenderedConfig render_otagwd_config(const Scenario& scenario, const OtagwdConfigOptions& options,
                                    const Variables& variables) {
  RenderedConfig rendered;
  auto& errors = rendered.errors;
  std::string& out = rendered.text;
  const auto& settings = scenario.otagwd;

  out += "# otagwd configuration for the scenario " + options.scenario_name + ",\n";
  out += "# written by otagw-cloudsim config (the scenario is the source of truth: edit it, not this).\n";
  out += "gateway:\n";
  out += "  product_key: " + yaml_quoted(scenario.gateway.product_key) + "\n";
  out += "  device_name: " + yaml_quoted(scenario.gateway.device_name) + "\n";
  out += "  device_secret: " + yaml_quoted(scenario.gateway.device_secret.reveal()) + "\n";
  out += "mqtt:\n";
  out += "  host: " + yaml_quoted(options.broker_host) + "\n";
  out += "  port: " + std::to_string(options.broker_port) + "\n";
  out += "  tls: false\n";
  out += "  connect_retry_s: " + std::to_string(settings.connect_retry_s) + "\n";
  out += "  connect_timeout_s: 10\n";
  out += "ota:\n";
  out += "  state_dir: " + yaml_quoted(options.state_dir.string()) + "\n";
  if (uses_http(scenario)) out += "  allow_http: true\n";
  if (!options.download_ca_file.empty()) out += "  download_ca_file: " + yaml_quoted(options.download_ca_file.string()) + "\n";
  if (settings.query_timeout_s) out += "  query_timeout_s: " + std::to_string(*settings.query_timeout_s) + "\n";
  if (settings.low_speed_timeout_s) {
    out += "  low_speed_timeout_s: " + std::to_string(*settings.low_speed_timeout_s) + "\n";
  }
  if (settings.download_retry_s) out += "  download_retry_s: " + std::to_string(*settings.download_retry_s) + "\n";
  // A socket of its own, so two runs (or a real otagwd) never share one.
  const std::string socket = (options.state_dir / "otagw.sock").string();
  if (socket.size() <= 107) out += "control:\n  socket: " + yaml_quoted(socket) + "\n";
  out += "log:\n  level: " + settings.log_level + "\n";

  if (!scenario.plugins.empty()) out += "plugins:\n";
  for (const auto& [name, plugin] : scenario.plugins) {
    std::string error;
    auto path = expand(plugin.path, variables, error);
    if (!path) {
      errors.push_back("plugins." + name + ": " + error);
      continue;
    }
    std::filesystem::path resolved = *path;
    if (resolved.is_relative()) resolved = scenario.base_dir / resolved;
    out += "  " + name + ":\n";
    out += std::string("    ") + (plugin.library ? "library" : "exec") + ": " +
           yaml_quoted(resolved.lexically_normal().string()) + "\n";
    if (plugin.timeout_s) out += "    timeout_s: " + std::to_string(*plugin.timeout_s) + "\n";
    if (plugin.version_timeout_s) out += "    version_timeout_s: " + std::to_string(*plugin.version_timeout_s) + "\n";
  }

  out += "subdevices:\n";
  for (const auto& device : scenario.devices) {
    std::vector<const ModuleSpec*> modules;
    for (const auto& module : device.modules) modules.push_back(&module);
    static const ModuleSpec kDefault = [] {
      ModuleSpec spec;
      spec.name = std::string(kDefaultModule);
      return spec;
    }();
    if (modules.empty()) modules.push_back(&kDefault);
    for (const ModuleSpec* module : modules) {
      const std::string where = "device " + device.product_key + "/" + device.device_name +
                                (module->name == kDefaultModule ? "" : " module " + module->name);
      const auto& own = module->gateway_side;
      const auto& dev = device.gateway_side;
      const auto version = own.version ? own.version : dev.version;
      auto plugin = own.plugin ? own.plugin : dev.plugin;
      if (!plugin && scenario.plugins.size() == 1) plugin = scenario.plugins.begin()->first;
      nlohmann::json params = own.params ? *own.params : dev.params ? *dev.params : nlohmann::json::object();
      // flash_seconds: sim-mcu's flash_ms; the module's own beats the device's.
      if (const auto flash_ms = own.flash_ms ? own.flash_ms : dev.flash_ms) params["flash_ms"] = *flash_ms;
      if (!version) errors.push_back(where + ": no version (give version: to the device or the module)");
      if (!plugin) {
        errors.push_back(where + ": no plugin (give plugin: to the device or the module" +
                         std::string(scenario.plugins.empty() ? ", and a plugins: section)" : ")"));
      }
      std::string error;
      const auto expanded = expand_json(params, variables, error);
      if (!expanded) errors.push_back(where + ": params: " + error);
      if (!version || !plugin || !expanded) continue;
      out += "  - product_key: " + yaml_quoted(device.product_key) + "\n";
      out += "    device_name: " + yaml_quoted(device.device_name) + "\n";
      out += "    device_secret: " + yaml_quoted(device.device_secret.reveal()) + "\n";
      if (module->name != kDefaultModule) out += "    module: " + yaml_quoted(module->name) + "\n";
      if (!device.bus.empty()) out += "    bus: " + yaml_quoted(device.bus) + "\n";
      out += "    version: " + yaml_quoted(*version) + "\n";
      out += "    plugin: " + yaml_quoted(*plugin) + "\n";
      // JSON is YAML's flow style: otagwd types it exactly as the scenario did.
      out += "    params: " + expanded->dump() + "\n";
    }
  }
  if (scenario.devices.empty()) out += "  []\n";
  return rendered;
}

}  // namespace otagw::cloudsim
