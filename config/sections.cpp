#include "config/sections.hpp"

#include <sys/un.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "config/device_secret.hpp"
#include "config/flash_window_list.hpp"
#include "config/host_pattern.hpp"
#include "config/identifiers.hpp"
#include "config/message_text.hpp"
#include "config/text_file.hpp"
#include "config/yaml_map_reader.hpp"

namespace otagw::config::detail {

namespace {

constexpr std::int64_t kMinStagingBytes = 1048576;           // 1 MiB
constexpr std::int64_t kMaxStagingBytes = 1125899906842624;  // 1 PiB: no real limit, but no overflow either

// Reads `key` as an int in [min, max] into `out`, leaving the default otherwise.
void read_int(const MapReader& map, std::string_view key, int min, int max, int& out) {
  if (auto value = map.integer(key, min, max)) out = static_cast<int>(*value);
}

void read_bool(const MapReader& map, std::string_view key, bool& out) {
  if (auto value = map.boolean(key)) out = *value;
}

// A CA bundle: "" keeps the system trust store; a path must name a readable
// file now, since a TLS failure at connect time says far less.
void read_ca_file(const MapReader& map, const SourceContext& src, std::string_view key, std::string& out) {
  auto value = map.string(key, {.empty_ok = true});
  if (!value || value->empty()) return;
  const std::filesystem::path path = src.resolve(*value);
  if (std::string problem = check_readable_file(path); !problem.empty()) {
    map.error(key, "cannot read " + quote_value(path.string()) + ": " + problem);
    return;
  }
  out = path.string();
}

// A list of host patterns (host_pattern.hpp); every bad item is reported
// with its own index and line. Absent, null or [] = any host.
void read_host_patterns(const MapReader& map, SourceContext& src, std::string_view key, std::vector<HostPattern>& out) {
  const YAML::Node node = map.value(key);
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    map.error(key, "expected a list of host names or '*.domain' patterns, got " + describe(node));
    return;
  }
  const std::string list_path = map.path(key);
  std::size_t index = 0;
  for (const YAML::Node& item : node) {
    const std::string path = index_path(list_path, index++);
    const int line = line_of(item) > 0 ? line_of(item) : map.line(key);
    if (!item.IsScalar()) {
      src.error(path, line, "expected a host name or '*.domain' pattern, got " + describe(item));
      continue;
    }
    auto pattern = parse_host_pattern(item.Scalar());
    if (!pattern) {
      src.error(path, line, std::move(pattern.error()));
      continue;
    }
    if (std::find(out.begin(), out.end(), *pattern) == out.end()) out.push_back(std::move(*pattern));
  }
}

}  // namespace

void parse_gateway(const YAML::Node& node, int line, SourceContext& src, GatewayConfig& out) {
  const MapReader map(node, "gateway", line, src,
                      {"product_key", "device_name", "device_secret", "device_secret_file"});
  if (!map.ok()) return;
  if (auto v = map.string("product_key", {.required = true, .check = check_product_key})) out.product_key = *v;
  if (auto v = map.string("device_name", {.required = true, .check = check_device_name})) out.device_name = *v;
  if (auto secret = read_device_secret(map, src)) out.device_secret = std::move(*secret);
}

void parse_mqtt(const YAML::Node& node, int line, SourceContext& src, const std::string& gateway_product_key,
                MqttConfig& out) {
  const MapReader map(node, "mqtt", line, src,
                      {"host", "instance_id", "region", "port", "tls", "tls_verify", "ca_file", "keepalive_s",
                       "connect_retry_s", "connect_timeout_s", "max_publish_per_s"});
  if (!map.ok()) return;
  if (auto v = map.string("instance_id", {.check = check_instance_id})) out.instance_id = *v;
  if (auto v = map.string("region", {.check = check_region})) out.region = *v;
  read_bool(map, "tls", out.tls);
  read_bool(map, "tls_verify", out.tls_verify);
  read_ca_file(map, src, "ca_file", out.ca_file);
  read_int(map, "keepalive_s", 30, 1200, out.keepalive_s);
  read_int(map, "connect_retry_s", 1, 86400, out.connect_retry_s);
  read_int(map, "connect_timeout_s", 1, 300, out.connect_timeout_s);
  read_int(map, "max_publish_per_s", 0, 10000, out.max_publish_per_s);

  out.port = out.tls ? 443 : 1883;
  if (auto v = map.integer("port", 1, 65535)) out.port = static_cast<std::uint16_t>(*v);

  if (auto v = map.string("host", {.check = check_host})) {
    out.host = *v;
  } else if (!out.instance_id.empty()) {
    // Enterprise instances have their own endpoint.
    out.host = out.instance_id + ".mqtt.iothub.aliyuncs.com";
  } else if (!gateway_product_key.empty()) {
    // The public instance's endpoint for the region.
    out.host = gateway_product_key + ".iot-as-mqtt." + out.region + ".aliyuncs.com";
  }
}

void parse_ota(const YAML::Node& node, int line, SourceContext& src, OtaConfig& out) {
  const MapReader map(node, "ota", line, src,
                      {"state_dir", "runtime_dir", "query_timeout_s", "sweep_interval_s", "allow_http", "download_ca_file",
                       "max_image_bytes", "low_speed_timeout_s", "download_retry_s", "max_online",
                       "allowed_download_hosts", "delete_removed_topology", "max_parallel_downloads",
                       "max_staging_bytes", "flash_windows", "require_synced_clock"});
  if (!map.ok()) return;
  if (auto v = map.string("state_dir")) out.state_dir = src.resolve(*v);
  if (auto v = map.string("runtime_dir")) out.runtime_dir = src.resolve(*v);
  read_int(map, "query_timeout_s", 1, 3600, out.query_timeout_s);
  read_int(map, "sweep_interval_s", 1, 604800, out.sweep_interval_s);
  read_bool(map, "allow_http", out.allow_http);
  read_ca_file(map, src, "download_ca_file", out.download_ca_file);
  if (auto v = map.integer("max_image_bytes", 1, 17179869184)) out.max_image_bytes = static_cast<std::uint64_t>(*v);
  read_int(map, "low_speed_timeout_s", 1, 3600, out.low_speed_timeout_s);
  read_int(map, "download_retry_s", 0, 86400, out.download_retry_s);
  // 2 at least: max_parallel_downloads (1 at least) must be below it.
  read_int(map, "max_online", 2, static_cast<int>(kMaxSubdevicesPerGateway), out.max_online);
  read_bool(map, "delete_removed_topology", out.delete_removed_topology);
  read_host_patterns(map, src, "allowed_download_hosts", out.allowed_download_hosts);
  read_int(map, "max_parallel_downloads", 1, 64, out.max_parallel_downloads);
  if (auto v = map.integer("max_staging_bytes", kMinStagingBytes, kMaxStagingBytes)) {
    out.max_staging_bytes = static_cast<std::uint64_t>(*v);
  }
  if (auto windows = read_flash_windows(map, src, "flash_windows", NullWindows::empty)) {
    out.flash_windows = std::move(*windows);
  }
  read_bool(map, "require_synced_clock", out.require_synced_clock);

  // Every job downloading keeps its device online, and the OTA channel needs
  // a seat of its own for the next visit.
  if (out.max_parallel_downloads >= out.max_online) {
    const std::string_view at = map.has("max_parallel_downloads") ? "max_parallel_downloads" : "max_online";
    src.error(map.path("max_parallel_downloads"), map.line(at),
              "must be below ota.max_online (" + std::to_string(out.max_online) + "), got " +
                  std::to_string(out.max_parallel_downloads) +
                  ": each download keeps its device online, and the OTA channel needs one more");
  }
}

void parse_control(const YAML::Node& node, int line, SourceContext& src, ControlConfig& out) {
  const MapReader map(node, "control", line, src, {"socket", "group", "max_clients"});
  if (!map.ok()) return;
  read_int(map, "max_clients", 1, 1024, out.max_clients);
  if (auto group = map.string("group")) {
    // What groupadd accepts (shadow's default NAME_REGEX, plus upper case).
    const bool valid = !group->empty() && group->size() <= 32 && (*group)[0] != '-' &&
                       std::all_of(group->begin(), group->end(), [](char c) {
                         return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
                       });
    if (valid) {
      out.group = *group;
    } else {
      map.error("group", "group name " + quote_value(*group) +
                             " is not valid (1..32 letters, digits, '_', '-' or '.', not starting with '-')");
    }
  }
  auto value = map.string("socket");
  if (!value) return;
  if (value->empty()) {  // the socket is off
    out.socket.clear();
    return;
  }
  const std::filesystem::path path = src.resolve(*value);
  // bind() takes at most sizeof(sun_path) - 1 bytes; a longer path fails at start-up.
  constexpr std::size_t kMaxSocketPath = sizeof(sockaddr_un::sun_path) - 1;
  if (path.native().size() > kMaxSocketPath) {
    map.error("socket", "path " + quote_value(path.string()) + " is longer than " + std::to_string(kMaxSocketPath) +
                            " bytes, the limit of a Unix socket address");
    return;
  }
  out.socket = path;
}

void parse_log(const YAML::Node& node, int line, SourceContext& src, LogConfig& out) {
  const MapReader map(node, "log", line, src, {"level"});
  if (!map.ok()) return;
  auto value = map.string("level");
  if (!value) return;
  static constexpr std::pair<std::string_view, LogLevel> kLevels[] = {{"trace", LogLevel::trace},
                                                                      {"debug", LogLevel::debug},
                                                                      {"info", LogLevel::info},
                                                                      {"warn", LogLevel::warn},
                                                                      {"error", LogLevel::error}};
  for (const auto& [name, level] : kLevels) {
    if (*value == name) {
      out.level = level;
      return;
    }
  }
  map.error("level", "expected one of trace, debug, info, warn, error, got " + quote_value(*value));
}

void parse_plugins(const YAML::Node& node, int line, SourceContext& src, std::map<std::string, PluginConfig>& out) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    src.error("plugins", line, "expected a map of plugin names to plugins, got " + describe(node));
    return;
  }
  for (const MapEntry& entry : map_entries(node, "plugins", src)) {
    const std::string path = join_path("plugins", entry.key);
    if (auto problem = check_plugin_name(entry.key)) {
      src.error(path, entry.key_line, std::move(*problem));
      continue;
    }
    // Registered even when its body is wrong, so sub-devices naming it do not
    // also get "unknown plugin".
    PluginConfig& plugin = out[entry.key];
    plugin.name = entry.key;
    const MapReader map(entry.value, path, entry.key_line, src, {"exec", "library", "timeout_s", "version_timeout_s",
                                                                       "confirm_timeout_s"});
    if (!map.ok()) continue;
    read_int(map, "timeout_s", 1, 86400, plugin.timeout_s);
    read_int(map, "version_timeout_s", 1, 3600, plugin.version_timeout_s);
    read_int(map, "confirm_timeout_s", 0, 3600, plugin.confirm_timeout_s);
    const bool has_exec = map.has("exec");
    const bool has_library = map.has("library");
    if (has_exec && has_library) {
      map.error("library", "set only one of exec and library");
      continue;
    }
    if (!has_exec && !has_library) {
      map.missing("exec", "or library");
      continue;
    }
    const std::string_view key = has_exec ? "exec" : "library";
    plugin.kind = has_exec ? PluginConfig::Kind::exec : PluginConfig::Kind::library;
    // The file itself is not checked: plugins may be installed after the config.
    if (auto value = map.string(key)) plugin.path = src.resolve(*value);
  }
}

}  // namespace otagw::config::detail
