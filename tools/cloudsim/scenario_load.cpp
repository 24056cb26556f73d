#include "tools/cloudsim/scenario_load.hpp"

#include <cctype>
#include <fstream>
#include <sstream>
#include <unordered_set>

#include "tools/cloudsim/name_format.hpp"
#include "tools/cloudsim/scenario_sections.hpp"

namespace otagw::cloudsim {
namespace {

using config::index_path;
using config::join_path;
using config::line_of;
using config::MapReader;
using detail::iequals;
using detail::required_integer;
using detail::ScenarioErrors;

// The auth plugin's devices file limits (tools/mqtt-auth/devices.h); keeping
// to them lets every scenario device be written there.
constexpr std::size_t kProductKeyMax = 64;
constexpr std::size_t kDeviceNameMax = 128;
constexpr std::size_t kSecretMax = 128;
constexpr std::int64_t kMaxDelayMs = 600'000;
constexpr std::int64_t kMaxGenerated = 100'000;

bool is_space_or_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7f;
}

// pk and dn become MQTT topic levels and devices file fields.
std::optional<std::string> identifier(const MapReader& map, std::string_view key, std::size_t max) {
  auto value = map.string(key, {.required = true});
  if (!value) return std::nullopt;
  if (value->size() > max) {
    map.error(key, "longer than " + std::to_string(max) + " characters");
    return std::nullopt;
  }
  for (const char c : *value) {
    if (is_space_or_control(c) || c == '/' || c == '+' || c == '#') {
      map.error(key, "must not contain white space, control characters, '/', '+' or '#'");
      return std::nullopt;
    }
  }
  return value;
}

// Never quoted back in a message.
std::optional<config::Secret> secret(const MapReader& map, std::string_view key) {
  auto value = map.string(key, {.required = true});
  if (!value) return std::nullopt;
  if (value->size() > kSecretMax) {
    map.error(key, "longer than " + std::to_string(kSecretMax) + " characters");
    return std::nullopt;
  }
  for (const char c : *value) {
    if (is_space_or_control(c)) {
      map.error(key, "must not contain white space or control characters");
      return std::nullopt;
    }
  }
  return config::Secret(std::move(*value));
}

bool is_hex(std::string_view text) {
  for (const char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// extData: YAML to JSON with every scalar as a string (the scenario's author
// writes what the gateway should see; YAML's type guessing would only surprise).
nlohmann::json to_json(const YAML::Node& node) {
  if (node.IsMap()) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& item : node) object[item.first.Scalar()] = to_json(item.second);
    return object;
  }
  if (node.IsSequence()) {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& item : node) array.push_back(to_json(item));
    return array;
  }
  if (node.IsScalar()) return node.Scalar();
  return nullptr;
}

std::optional<Firmware> parse_firmware(const YAML::Node& node, const std::string& path, ScenarioErrors& errors) {
  MapReader map(node, path, line_of(node), errors,
                {"version", "size", "url", "signMethod", "sign", "isDiff", "extData"});
  if (!map.ok()) return std::nullopt;
  const auto before = errors.count();
  Firmware firmware;
  if (auto version = map.string("version", {.required = true})) {
    if (version->size() > 32) map.error("version", "longer than 32 characters (protocol.md §4)");
    firmware.version = std::move(*version);
  }
  if (auto size = required_integer(map, "size", 0, std::int64_t{1} << 53)) {
    firmware.size = static_cast<std::uint64_t>(*size);
  }
  if (auto url = map.string("url", {.required = true})) firmware.url = std::move(*url);
  std::size_t digest_hex = 0;
  if (auto method = map.string("signMethod", {.required = true})) {
    if (iequals(*method, "md5")) {
      digest_hex = 32;
    } else if (iequals(*method, "sha256")) {
      digest_hex = 64;
    } else {
      map.error("signMethod", "expected Md5 or SHA256 (any case), got '" + *method + "'");
    }
    firmware.sign_method = std::move(*method);
  }
  if (auto sign = map.string("sign", {.required = true})) {
    if (!is_hex(*sign) || (digest_hex != 0 && sign->size() != digest_hex)) {
      map.error("sign", digest_hex != 0 ? "expected " + std::to_string(digest_hex) + " hex digits for this signMethod"
                                        : std::string("expected hex digits"));
    }
    firmware.sign = std::move(*sign);
  }
  if (auto is_diff = map.integer("isDiff", 0, 1)) firmware.is_diff = static_cast<int>(*is_diff);
  if (map.has("extData")) {
    if (!map.value("extData").IsMap()) {
      map.error("extData", "expected a map");
    } else {
      firmware.ext_data = to_json(map.value("extData"));
    }
  }
  if (errors.count() != before) return std::nullopt;
  return firmware;
}

std::vector<ModuleSpec> parse_modules(const YAML::Node& node, const std::string& path, const Scenario& scenario,
                                      ScenarioErrors& errors) {
  std::vector<ModuleSpec> modules;
  if (!node.IsMap()) {
    errors.error(path, line_of(node), "expected a map of module name to module");
    return modules;
  }
  for (const auto& item : node) {
    if (!item.first.IsScalar()) {
      errors.error(path, line_of(item.first), "a module name must be a string");
      continue;
    }
    const std::string& key = item.first.Scalar();
    const std::string module_path = join_path(path, key);
    ModuleSpec module;
    module.name = key.empty() ? std::string(kDefaultModule) : key;
    bool repeated = false;
    for (const auto& other : modules) repeated = repeated || other.name == module.name;
    if (repeated) {
      errors.error(module_path, line_of(item.first), "module '" + module.name + "' given twice (\"\" and default are the same)");
      continue;
    }
    if (module.name.size() > 64) {
      errors.error(module_path, line_of(item.first), "module name longer than 64 characters");
    }
    MapReader map(item.second, module_path, line_of(item.first), errors,
                  {"query", "delay_ms", "firmware", "package", "alternate", "version", "plugin", "params",
                   "flash_seconds", "bus"});
    if (!map.ok()) continue;
    // otagwd's rule: all module entries of one device name the same bus.
    if (map.has("bus")) map.error("bus", "a device's modules share its bus: give bus: to the device");
    if (auto query = map.choice("query", {"reply", "no_reply", "push"})) {
      module.query = *query == "reply" ? QueryMode::reply : *query == "push" ? QueryMode::push : QueryMode::no_reply;
    }
    if (auto delay = map.integer("delay_ms", 0, kMaxDelayMs)) module.delay = std::chrono::milliseconds(*delay);
    if (map.has("firmware") && map.has("package")) {
      map.error("package", "give either firmware or package, not both");
    } else if (map.has("firmware")) {
      module.firmware = parse_firmware(map.value("firmware"), map.path("firmware"), errors);
    } else if (auto package = map.string("package")) {
      module.package = std::move(*package);
      detail::check_package_reference(map, scenario, module);
    }
    if (module.query == QueryMode::push && !map.has("firmware") && !map.has("package")) {
      map.error("query", "push needs a firmware or a package to push");
    }
    if (map.has("alternate")) {
      if (!map.has("firmware") && !map.has("package")) {
        map.error("alternate", "alternate needs a firmware or a package to alternate with");
      } else {
        module.alternate = parse_firmware(map.value("alternate"), map.path("alternate"), errors);
      }
    }
    detail::parse_gateway_side(map, module.gateway_side, errors);
    detail::check_plugin_reference(map, scenario, module.gateway_side);
    modules.push_back(std::move(module));
  }
  return modules;
}

// The keys a listed device and a generate entry share.
void parse_behaviour(const MapReader& map, const Scenario& scenario, DeviceSpec& device, ScenarioErrors& errors) {
  if (auto topology = map.choice("topology", {"absent", "present"})) device.topology_present = *topology == "present";
  if (auto login = map.choice("login", {"accept", "refuse"})) {
    device.login = *login == "accept" ? LoginMode::accept : LoginMode::refuse;
  }
  if (map.has("modules")) device.modules = parse_modules(map.value("modules"), map.path("modules"), scenario, errors);
  detail::parse_gateway_side(map, device.gateway_side, errors);
  detail::check_plugin_reference(map, scenario, device.gateway_side);
}

void parse_gateway(const YAML::Node& node, Scenario& scenario, ScenarioErrors& errors) {
  MapReader map(node, "gateway", line_of(node), errors, {"product_key", "device_name", "device_secret"});
  if (!map.ok()) return;
  if (auto pk = identifier(map, "product_key", kProductKeyMax)) scenario.gateway.product_key = std::move(*pk);
  if (auto dn = identifier(map, "device_name", kDeviceNameMax)) scenario.gateway.device_name = std::move(*dn);
  if (auto s = secret(map, "device_secret")) scenario.gateway.device_secret = std::move(*s);
}

void parse_limits(const YAML::Node& node, Scenario& scenario, ScenarioErrors& errors) {
  MapReader map(node, "limits", line_of(node), errors, {"login_per_s", "max_batch_login", "max_batch_topo"});
  if (!map.ok()) return;
  if (auto v = map.integer("login_per_s", 1, 1'000'000)) scenario.limits.login_per_s = static_cast<int>(*v);
  if (auto v = map.integer("max_batch_login", 1, 10'000)) scenario.limits.max_batch_login = static_cast<int>(*v);
  if (auto v = map.integer("max_batch_topo", 1, 10'000)) scenario.limits.max_batch_topo = static_cast<int>(*v);
}

struct Origin {
  std::string path;
  int line;
};

void parse_devices(const YAML::Node& node, Scenario& scenario, std::vector<Origin>& origins, ScenarioErrors& errors) {
  if (node.IsNull()) return;  // `devices:` with nothing: none
  if (!node.IsSequence()) {
    errors.error("devices", line_of(node), "expected a list of devices");
    return;
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string path = index_path("devices", i);
    MapReader map(node[i], path, line_of(node[i]), errors,
                  {"product_key", "device_name", "device_secret", "topology", "login", "modules", "version", "plugin",
                   "params", "flash_seconds", "bus"});
    if (!map.ok()) continue;
    DeviceSpec device;
    if (auto buses = detail::parse_buses(map, false); !buses.empty()) device.bus = std::move(buses.front());
    auto pk = identifier(map, "product_key", kProductKeyMax);
    auto dn = identifier(map, "device_name", kDeviceNameMax);
    auto s = secret(map, "device_secret");
    parse_behaviour(map, scenario, device, errors);
    if (!pk || !dn || !s) continue;
    device.product_key = std::move(*pk);
    device.device_name = std::move(*dn);
    device.device_secret = std::move(*s);
    scenario.devices.push_back(std::move(device));
    origins.push_back({path, line_of(node[i])});
  }
}

void parse_generate(const YAML::Node& node, Scenario& scenario, std::vector<Origin>& origins, ScenarioErrors& errors) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    errors.error("generate", line_of(node), "expected a list of generate entries");
    return;
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string path = index_path("generate", i);
    MapReader map(node[i], path, line_of(node[i]), errors,
                  {"count", "start", "product_key", "name_format", "secret_format", "topology", "login", "modules",
                   "version", "plugin", "params", "flash_seconds", "bus"});
    if (!map.ok()) continue;
    const auto before = errors.count();
    DeviceSpec pattern;
    const auto count = required_integer(map, "count", 1, kMaxGenerated);
    const auto start = map.integer("start", 0, 1'000'000'000).value_or(0);
    auto pk = identifier(map, "product_key", kProductKeyMax);
    std::optional<NameFormat> name_format, secret_format;
    std::string why;
    if (auto text = map.string("name_format", {.required = true})) {
      if (!(name_format = NameFormat::parse(*text, why))) map.error("name_format", "'" + *text + "' " + why);
    }
    if (auto text = map.string("secret_format", {.required = true})) {
      // Not quoted back: it is the pattern of secrets.
      if (!(secret_format = NameFormat::parse(*text, why))) map.error("secret_format", why);
    }
    parse_behaviour(map, scenario, pattern, errors);
    // One bus, or a list the devices take in turn (count 8 on [a, b]: a b a b ...).
    const auto buses = detail::parse_buses(map, true);
    if (errors.count() != before || !count || !pk) continue;
    pattern.product_key = std::move(*pk);
    for (std::int64_t n = start; n < start + *count; ++n) {
      DeviceSpec device = pattern;
      if (!buses.empty()) device.bus = buses[static_cast<std::size_t>(n - start) % buses.size()];
      device.device_name = name_format->format(n);
      device.device_secret = config::Secret(secret_format->format(n));
      const bool bad_name = device.device_name.size() > kDeviceNameMax ||
                            device.device_name.find_first_of(" \t/+#") != std::string::npos;
      const bool bad_secret = device.device_secret.reveal().size() > kSecretMax ||
                              device.device_secret.reveal().find_first_of(" \t") != std::string::npos;
      if (bad_name || bad_secret) {
        map.error(bad_name ? "name_format" : "secret_format",
                  "gives an invalid " + std::string(bad_name ? "device name" : "secret") + " (too long or white space, '/', '+', '#')");
        break;
      }
      scenario.devices.push_back(std::move(device));
      origins.push_back({path, line_of(node[i])});
    }
  }
}

void check_unique(const Scenario& scenario, const std::vector<Origin>& origins, ScenarioErrors& errors) {
  std::unordered_set<std::string> seen;
  seen.reserve(scenario.devices.size() + 1);
  seen.insert(scenario.gateway.product_key + '/' + scenario.gateway.device_name);
  for (std::size_t i = 0; i < scenario.devices.size(); ++i) {
    const auto& device = scenario.devices[i];
    if (!seen.insert(device.product_key + '/' + device.device_name).second) {
      errors.error(origins[i].path, origins[i].line,
                 "device " + device.product_key + "/" + device.device_name + " appears twice (or is the gateway)");
    }
  }
}

}  // namespace

std::string ScenarioError::to_string() const {
  std::string text = path.empty() ? std::string("scenario") : path;
  if (line > 0) text += " (line " + std::to_string(line) + ")";
  return text + ": " + message;
}

ScenarioLoad parse_scenario(std::string_view yaml_text, const std::filesystem::path& base_dir) {
  ScenarioErrors errors;
  ScenarioLoad result;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    result.errors.push_back({"", e.mark.line >= 0 ? e.mark.line + 1 : 0, "YAML syntax error: " + e.msg});
    return result;
  }
  Scenario scenario;
  std::error_code ec;
  scenario.base_dir = std::filesystem::absolute(base_dir, ec).lexically_normal();
  std::vector<Origin> origins;
  try {
    MapReader map(root, "", 1, errors,
                  {"gateway", "limits", "devices", "generate", "packages", "plugins", "expect", "otagwd"});
    if (map.ok()) {
      if (map.has("gateway")) {
        parse_gateway(map.value("gateway"), scenario, errors);
      } else {
        map.missing("gateway");
      }
      if (map.has("limits")) parse_limits(map.value("limits"), scenario, errors);
      if (map.has("otagwd")) detail::parse_otagwd(map.value("otagwd"), scenario, errors);
      // Devices refer to packages and plugins; expectations refer to devices.
      if (map.has("packages")) detail::parse_packages(map.value("packages"), scenario, errors);
      if (map.has("plugins")) detail::parse_plugins(map.value("plugins"), scenario, errors);
      if (map.has("devices")) parse_devices(map.value("devices"), scenario, origins, errors);
      if (map.has("generate")) parse_generate(map.value("generate"), scenario, origins, errors);
      if (map.has("expect")) detail::parse_expect(map.value("expect"), scenario, errors);
    }
  } catch (const YAML::Exception& e) {
    // yaml-cpp throws on some malformed trees (e.g. a key that is an alias to nothing).
    errors.error("", e.mark.line >= 0 ? e.mark.line + 1 : 0, "cannot read the document: " + e.msg);
  }
  if (errors.count() == 0) check_unique(scenario, origins, errors);
  result.errors = errors.take();
  if (result.errors.empty()) result.scenario = std::move(scenario);
  return result;
}

ScenarioLoad load_scenario(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    ScenarioLoad result;
    result.errors.push_back({"", 0, "cannot read scenario file " + file.string()});
    return result;
  }
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(file, ec);
  return parse_scenario(text.str(), ec ? file.parent_path() : absolute.parent_path());
}

}  // namespace otagw::cloudsim
