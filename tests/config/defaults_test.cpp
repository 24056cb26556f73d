// Defaults and the values derived from other keys.
#include <catch2/catch.hpp>

#include "config_test_support.hpp"

namespace otagw::config {
namespace {

using test::kGateway;

Config load_ok(const std::string& yaml, const std::filesystem::path& base_dir = "/etc/otagw") {
  const LoadResult result = load_config_string(yaml, "test.yaml", base_dir);
  INFO(test::all_errors(result));
  REQUIRE(result.errors.empty());
  REQUIRE(result.config.has_value());
  return *result.config;
}

TEST_CASE("a config with only the gateway gets every default", "[unit]") {
  const Config config = load_ok(std::string(kGateway));
  CHECK(config.mqtt.host == "a1GwProd01.iot-as-mqtt.cn-shanghai.aliyuncs.com");
  CHECK(config.mqtt.instance_id.empty());
  CHECK(config.mqtt.region == "cn-shanghai");
  CHECK(config.mqtt.port == 443);
  CHECK(config.mqtt.tls);
  CHECK(config.mqtt.tls_verify);
  CHECK(config.mqtt.ca_file.empty());
  CHECK(config.mqtt.keepalive_s == 60);
  CHECK(config.mqtt.connect_retry_s == 60);
  CHECK(config.mqtt.connect_timeout_s == 30);
  CHECK(config.mqtt.max_publish_per_s == 0);
  CHECK(config.ota.state_dir == "/var/lib/otagw");
  CHECK(config.ota.query_timeout_s == 25);
  CHECK(config.ota.sweep_interval_s == 3600);
  CHECK_FALSE(config.ota.allow_http);
  CHECK(config.ota.max_image_bytes == 536870912U);
  CHECK(config.ota.low_speed_timeout_s == 30);
  CHECK(config.ota.download_retry_s == 300);
  CHECK(config.ota.max_online == 2000);
  CHECK(config.ota.allowed_download_hosts.empty());  // any host
  CHECK(config.ota.max_parallel_downloads == 2);
  CHECK(config.ota.max_staging_bytes == 1073741824U);  // 1 GiB
  CHECK(config.ota.flash_windows.empty());              // always open
  CHECK(config.ota.require_synced_clock);
  CHECK(config.control.socket == "/run/otagw/otagw.sock");
  CHECK(config.log.level == LogLevel::info);
  CHECK(config.plugins.empty());
  CHECK(config.subdevices.empty());
  CHECK(config.subdevices_dir.empty());
}

TEST_CASE("empty sections mean all defaults", "[unit]") {
  const Config config = load_ok(std::string(kGateway) + "mqtt:\nota:\ncontrol:\nlog:\nplugins:\nsubdevices:\n");
  CHECK(config.mqtt.port == 443);
  CHECK(config.ota.max_online == 2000);
  CHECK(config.ota.allowed_download_hosts.empty());  // any host
  CHECK(config.subdevices.empty());
}

TEST_CASE("the MQTT port defaults to 1883 without TLS, 443 with it, unless set", "[unit]") {
  CHECK(load_ok(std::string(kGateway) + "mqtt:\n  tls: false\n").mqtt.port == 1883);
  CHECK(load_ok(std::string(kGateway) + "mqtt:\n  tls: true\n").mqtt.port == 443);
  CHECK(load_ok(std::string(kGateway) + "mqtt:\n  tls: false\n  port: 8883\n").mqtt.port == 8883);
  CHECK(load_ok(std::string(kGateway) + "mqtt:\n  port: 1\n").mqtt.port == 1);
  CHECK(load_ok(std::string(kGateway) + "mqtt:\n  port: 65535\n").mqtt.port == 65535);
}

TEST_CASE("the MQTT host is derived from the region and the gateway's product key", "[unit]") {
  const Config config = load_ok(std::string(kGateway) + "mqtt:\n  region: cn-beijing\n");
  CHECK(config.mqtt.host == "a1GwProd01.iot-as-mqtt.cn-beijing.aliyuncs.com");
}

TEST_CASE("the MQTT host is derived from instance_id when it is set", "[unit]") {
  const Config config = load_ok(std::string(kGateway) + "mqtt:\n  instance_id: iot-06z00abc\n  region: cn-beijing\n");
  CHECK(config.mqtt.host == "iot-06z00abc.mqtt.iothub.aliyuncs.com");
  CHECK(config.mqtt.instance_id == "iot-06z00abc");
}

TEST_CASE("an explicit MQTT host wins over the derived one", "[unit]") {
  const Config config = load_ok(std::string(kGateway) + "mqtt:\n  host: 127.0.0.1\n  instance_id: iot-06z00abc\n");
  CHECK(config.mqtt.host == "127.0.0.1");
}

TEST_CASE("relative paths are resolved against the config file's directory", "[unit]") {
  const Config config = load_ok(std::string(kGateway) +
                                    "ota:\n  state_dir: state\n"
                                    "control:\n  socket: run/otagw.sock\n"
                                    "plugins:\n  local:\n    exec: ../plugins/flash\n",
                                "/etc/otagw");
  CHECK(config.ota.state_dir == "/etc/otagw/state");
  CHECK(config.control.socket == "/etc/otagw/run/otagw.sock");
  CHECK(config.plugins.at("local").path == "/etc/plugins/flash");
}

TEST_CASE("a plugin's file need not exist when the config is loaded", "[unit]") {
  const Config config = load_ok(std::string(kGateway) + "plugins:\n  later:\n    library: /nonexistent/libx.so\n");
  CHECK(config.plugins.at("later").kind == PluginConfig::Kind::library);
}

TEST_CASE("values at the ends of their ranges are accepted", "[unit]") {
  const Config config = load_ok(std::string(kGateway) +
                                "mqtt:\n  keepalive_s: 1200\n  max_publish_per_s: 10000\n"
                                "ota:\n  max_image_bytes: 17179869184\n  download_retry_s: 0\n  max_online: 2\n"
                                "  max_parallel_downloads: 1\n  max_staging_bytes: 1048576\n");
  CHECK(config.mqtt.keepalive_s == 1200);
  CHECK(config.mqtt.max_publish_per_s == 10000);
  CHECK(config.ota.max_image_bytes == 17179869184U);
  CHECK(config.ota.download_retry_s == 0);
  CHECK(config.ota.max_online == 2);
  CHECK(config.ota.max_parallel_downloads == 1);
  CHECK(config.ota.max_staging_bytes == 1048576U);
}

TEST_CASE("every log level name is accepted", "[unit]") {
  CHECK(load_ok(std::string(kGateway) + "log:\n  level: trace\n").log.level == LogLevel::trace);
  CHECK(load_ok(std::string(kGateway) + "log:\n  level: debug\n").log.level == LogLevel::debug);
  CHECK(load_ok(std::string(kGateway) + "log:\n  level: warn\n").log.level == LogLevel::warn);
  CHECK(load_ok(std::string(kGateway) + "log:\n  level: error\n").log.level == LogLevel::error);
}

TEST_CASE("a readable ca_file is kept as a resolved path", "[unit]") {
  const test::TempDir dir;
  dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
  const Config config =
      load_ok(std::string(kGateway) + "mqtt:\n  ca_file: ca.pem\nota:\n  download_ca_file: ca.pem\n", dir.path());
  CHECK(config.mqtt.ca_file == (dir.path() / "ca.pem").string());
  CHECK(config.ota.download_ca_file == (dir.path() / "ca.pem").string());
}

}  // namespace
}  // namespace otagw::config
