// The shipped example must load, and mean what its comments say.
#include <catch2/catch.hpp>
#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "config_test_support.hpp"

namespace otagw::config {
namespace {

const std::filesystem::path kSourceExamples = std::filesystem::path(OTAGW_SOURCE_DIR) / "config" / "examples";

// The examples hold (placeholder) secrets: installed, they are root:otagw
// 0640 and otagwd refuses them readable by others. A checkout gives 0644, so
// the tests load a private copy.
class PrivateExamples {
 public:
  PrivateExamples() {
    std::filesystem::copy(kSourceExamples, dir_.path(), std::filesystem::copy_options::recursive);
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path())) {
      if (entry.is_regular_file()) {
        std::filesystem::permissions(entry.path(),
                                     std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
      }
    }
  }
  [[nodiscard]] const std::filesystem::path& path() const { return dir_.path(); }

 private:
  test::TempDir dir_;
};

// 1-based line of the `occurrence`-th line of `file` containing `needle`.
int line_containing(const std::filesystem::path& file, std::string_view needle, int occurrence = 1) {
  std::ifstream in(file);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find(needle) != std::string::npos && --occurrence == 0) return number;
  }
  return -1;
}

TEST_CASE("the example config loads with the values it states", "[unit]") {
  const PrivateExamples examples;
  const std::filesystem::path kExamples = examples.path();
  const std::filesystem::path file = kExamples / "gateway.yaml";
  const LoadResult result = load_config_file(file);
  INFO(test::all_errors(result, file));
  REQUIRE(result.errors.empty());
  REQUIRE(result.config.has_value());
  const Config& config = *result.config;

  CHECK(config.gateway.product_key == "a1GwProd01");
  CHECK(config.gateway.device_name == "gw-0001");
  CHECK(config.gateway.device_secret.reveal() == "replace-with-device-secret");

  CHECK(config.mqtt.host == "iot-06z00abc.mqtt.iothub.aliyuncs.com");
  CHECK(config.mqtt.instance_id == "iot-06z00abc");
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
  CHECK(config.ota.download_ca_file.empty());
  CHECK(config.ota.max_image_bytes == 536870912U);
  CHECK(config.ota.low_speed_timeout_s == 30);
  CHECK(config.ota.download_retry_s == 300);
  CHECK(config.ota.max_online == 2000);
  CHECK(config.ota.max_parallel_downloads == 2);
  CHECK(config.ota.max_staging_bytes == 1073741824U);
  CHECK(config.ota.flash_windows.empty());
  CHECK(config.ota.require_synced_clock);

  CHECK(config.control.socket == "/run/otagw/otagw.sock");
  CHECK(config.log.level == LogLevel::info);

  REQUIRE(config.plugins.size() == 3);
  const PluginConfig& copy = config.plugins.at("copy");
  CHECK(copy.name == "copy");
  CHECK(copy.kind == PluginConfig::Kind::exec);
  CHECK(copy.path == "/usr/libexec/otagw/plugins/file-copy");
  CHECK(copy.timeout_s == 600);
  CHECK(copy.version_timeout_s == 30);
  const PluginConfig& library = config.plugins.at("sample-lib");
  CHECK(library.kind == PluginConfig::Kind::library);
  CHECK(library.path == "/usr/lib/otagw/plugins/libotagw_sample_flash.so");
  CHECK(config.plugins.at("sim-mcu").path == "/usr/libexec/otagw/plugins/sim-mcu");

  CHECK(config.subdevices_dir == (std::filesystem::absolute(kExamples) / "subdevices.d").lexically_normal());
  REQUIRE(config.subdevices.size() == 4);
  const SubdeviceConfig& first = config.subdevices[0];
  CHECK(first.product_key == "a1SubProd1");
  CHECK(first.device_name == "sub-0000");
  CHECK(first.device_secret.reveal() == "replace-with-sub-0000-secret");
  CHECK(first.version == "1.0.0");
  CHECK(first.module.empty());
  CHECK(first.plugin == "copy");
  CHECK(first.params == nlohmann::json{{"target_dir", "/var/lib/otagw/devices/sub-0000"}});
  REQUIRE(first.source_file);
  CHECK(*first.source_file == file);
  CHECK(first.source_line == line_containing(file, "- product_key: a1SubProd1"));
  CHECK(first.bus == "uart0");
  CHECK_FALSE(first.flash_windows.has_value());  // the comment's example stays a comment

  const SubdeviceConfig& module = config.subdevices[1];
  CHECK(module.device_name == "sub-0000");
  CHECK(module.module == "mcu");
  CHECK(module.plugin == "sample-lib");
  CHECK(module.params == nlohmann::json{{"target_dir", "/var/lib/otagw/devices/sub-0000-mcu"}});
  CHECK(module.source_line == line_containing(file, "- product_key: a1SubProd1", 2));
  CHECK(module.bus == "uart0");

  // Then the subdevices_dir file.
  const std::filesystem::path dir_file = config.subdevices_dir / "10-sensors.yaml";
  CHECK(config.subdevices[2].device_name == "sensor-01");
  REQUIRE(config.subdevices[2].source_file);
  CHECK(*config.subdevices[2].source_file == dir_file);
  CHECK(config.subdevices[2].source_line == line_containing(dir_file, "device_name: sensor-01") - 1);
  CHECK(config.subdevices[2].params ==
        nlohmann::json{{"target_dir", "/var/lib/otagw/devices/sensor-01"}, {"flash_ms", 1500}});
  CHECK(config.subdevices[3].device_name == "sensor-02");
  CHECK(config.subdevices[3].bus == "default");
}

// The sample plugins' sources, by the file name the example's paths end in,
// and the params each reads (as its header documents them).
struct SamplePlugin {
  std::filesystem::path source;
  std::vector<std::string> required;
  std::vector<std::string> optional;
};

std::map<std::string, SamplePlugin> sample_plugins() {
  const auto dir = std::filesystem::path(OTAGW_SOURCE_DIR) / "subdev" / "plugins";
  return {{"file-copy", {dir / "file-copy", {"target_dir"}, {}}},
          {"sim-mcu", {dir / "sim-mcu", {"target_dir"}, {"flash_ms", "fail_at"}}},
          {"libotagw_sample_flash.so", {dir / "sample_library" / "sample_flash.c", {"target_dir"}, {}}}};
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_CASE("the examples give the sample plugins exactly the params they read", "[unit]") {
  const auto samples = sample_plugins();
  // Each documented key is one the sample's source reads.
  for (const auto& [name, sample] : samples) {
    const std::string source = read_text(sample.source);
    REQUIRE_FALSE(source.empty());
    for (const auto* keys : {&sample.required, &sample.optional}) {
      for (const std::string& key : *keys) {
        INFO(name << ": " << key);
        CHECK(source.find(key) != std::string::npos);
      }
    }
  }
  // Every example config loads, and each device of a sample plugin gets its
  // required params and no key the plugin does not read.
  std::size_t checked = 0;
  const PrivateExamples examples;
  for (const auto& entry : std::filesystem::directory_iterator(examples.path())) {
    const auto file = entry.path();
    if (file.extension() != ".yaml" || file.filename() == "demo-scenario.yaml") continue;  // the simulator's
    const LoadResult result = load_config_file(file);
    INFO(test::all_errors(result, file));
    REQUIRE(result.config.has_value());
    for (const SubdeviceConfig& device : result.config->subdevices) {
      const PluginConfig& plugin = result.config->plugins.at(device.plugin);
      const auto sample = samples.find(plugin.path.filename().string());
      INFO(device.device_name << " (" << plugin.path.string() << ")");
      REQUIRE(sample != samples.end());  // the examples name only shipped plugins
      for (const std::string& key : sample->second.required) CHECK(device.params.contains(key));
      for (const auto& [key, value] : device.params.items()) {
        INFO("param " << key);
        const auto& s = sample->second;
        CHECK((std::find(s.required.begin(), s.required.end(), key) != s.required.end() ||
               std::find(s.optional.begin(), s.optional.end(), key) != s.optional.end()));
      }
      ++checked;
    }
  }
  CHECK(checked == 4);
}

}  // namespace
}  // namespace otagw::config
