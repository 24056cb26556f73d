// The `subdevices` list: per-item checks, plugin references, duplicates, the cap.
#include <catch2/catch.hpp>

#include "config_test_support.hpp"

namespace otagw::config {
namespace {

using test::find_error;
using test::kCopyPlugin;
using test::kGateway;
using test::subdevice_item;

LoadResult load(const std::string& yaml) { return load_config_string(yaml, "test.yaml", "/etc/otagw"); }

// kGateway (4 lines) + kCopyPlugin (3 lines) + "subdevices:" = 8 lines before the first item.
std::string with_subdevices(const std::string& items) {
  return std::string(kGateway) + std::string(kCopyPlugin) + "subdevices:\n" + items;
}

TEST_CASE("sub-devices are read in order with where they were declared", "[unit]") {
  const LoadResult result = load(with_subdevices(subdevice_item("sub-0000") +   // lines 9-13
                                                 subdevice_item("sub-0001")));  // 14-18
  INFO(test::all_errors(result));
  REQUIRE(result.config.has_value());
  REQUIRE(result.config->subdevices.size() == 2);
  const SubdeviceConfig& first = result.config->subdevices[0];
  CHECK(first.device_name == "sub-0000");
  CHECK(first.product_key == "a1SubProd1");
  CHECK(first.device_secret.reveal() == "s");
  CHECK(first.version == "1.0");
  CHECK(first.plugin == "copy");
  CHECK(first.module.empty());
  CHECK(first.params == nlohmann::json::object());
  REQUIRE(first.source_file);
  CHECK(*first.source_file == "test.yaml");
  CHECK(first.source_line == 9);
  CHECK(result.config->subdevices[1].device_name == "sub-0001");
  CHECK(result.config->subdevices[1].source_line == 14);
}

TEST_CASE("a sub-device naming an undefined plugin is an error at its plugin key", "[unit]") {
  const LoadResult result = load(with_subdevices(subdevice_item("sub-0000") +            // 9-13
                                                 subdevice_item("sub-0001", "uart2")));  // 14-18
  INFO(test::all_errors(result));
  REQUIRE(result.errors.size() == 1);
  const ConfigError& error = result.errors[0];
  CHECK(error.key_path == "subdevices[1].plugin");
  CHECK(error.line == 18);
  CHECK_THAT(error.message, Catch::StartsWith("unknown plugin 'uart2'"));
  CHECK_FALSE(result.config.has_value());
}

TEST_CASE("missing required sub-device keys are reported at the item's line", "[unit]") {
  const LoadResult result =
      load(with_subdevices("  - product_key: a1SubProd1\n"  // 9
                           "    device_secret: s\n"));      // 10
  INFO(test::all_errors(result));
  for (const char* key : {"subdevices[0].device_name", "subdevices[0].version", "subdevices[0].plugin"}) {
    const ConfigError* error = find_error(result, key);
    REQUIRE(error != nullptr);
    CHECK(error->line == 9);
    CHECK(error->message == "missing required key");
  }
  CHECK(result.errors.size() == 3);
}

TEST_CASE("a list item that is not a map is an error", "[unit]") {
  const LoadResult result = load(with_subdevices("  - just-a-name\n  -\n"));
  INFO(test::all_errors(result));
  REQUIRE(find_error(result, "subdevices[0]") != nullptr);
  CHECK(find_error(result, "subdevices[0]")->line == 9);
  REQUIRE(find_error(result, "subdevices[1]") != nullptr);
}

TEST_CASE("version and module are checked", "[unit]") {
  auto item = [](const std::string& extra) {
    return "  - product_key: a1SubProd1\n"  // 9
           "    device_name: sub-0000\n"    // 10
           "    device_secret: s\n"         // 11
           "    plugin: copy\n" +           // 12
           extra;                           // 13
  };
  CHECK(find_error(load(with_subdevices(item("    version: '1 0'\n"))), "subdevices[0].version")->line == 13);
  CHECK(find_error(load(with_subdevices(item("    version: '" + std::string(33, '1') + "'\n"))),
                   "subdevices[0].version") != nullptr);
  CHECK(find_error(load(with_subdevices(item("    version: ''\n"))), "subdevices[0].version") != nullptr);
  const std::string version = "    version: '1'\n";
  CHECK(find_error(load(with_subdevices(item(version + "    module: 'a/b'\n"))), "subdevices[0].module")->line == 14);
  CHECK(find_error(load(with_subdevices(item(version + "    module: ''\n"))), "subdevices[0].module") != nullptr);
  const LoadResult good = load(with_subdevices(item("    version: V1.2.3-rc.1+build5\n    module: mcu_2.a-b\n")));
  INFO(test::all_errors(good));
  REQUIRE(good.config.has_value());
  CHECK(good.config->subdevices[0].version == "V1.2.3-rc.1+build5");
  CHECK(good.config->subdevices[0].module == "mcu_2.a-b");
}

TEST_CASE("a duplicate sub-device names the device and where it was first listed", "[unit]") {
  const LoadResult result = load(with_subdevices(subdevice_item("sub-0000") +   // 9-13
                                                 subdevice_item("sub-0001") +   // 14-18
                                                 subdevice_item("sub-0000")));  // 19-23
  INFO(test::all_errors(result));
  REQUIRE(result.errors.size() == 1);
  const ConfigError& error = result.errors[0];
  CHECK(error.key_path == "subdevices[2]");
  CHECK(error.line == 19);
  CHECK(error.message == "a1SubProd1/sub-0000 is already listed at subdevices[0] (line 9)");
}

TEST_CASE("the same device with different modules is not a duplicate", "[unit]") {
  const std::string items = subdevice_item("sub-0000") + subdevice_item("sub-0000") + "    module: mcu\n" +
                            subdevice_item("sub-0000") + "    module: dsp\n";
  const LoadResult result = load(with_subdevices(items));
  INFO(test::all_errors(result));
  REQUIRE(result.config.has_value());
  CHECK(result.config->subdevices.size() == 3);

  const LoadResult twice = load(with_subdevices(items + subdevice_item("sub-0000") + "    module: mcu\n"));
  REQUIRE(twice.errors.size() == 1);
  CHECK(twice.errors[0].key_path == "subdevices[3]");
  CHECK(twice.errors[0].message == "a1SubProd1/sub-0000 (module mcu) is already listed at subdevices[1] (line 14)");
}

std::string many_subdevices(std::size_t count) {
  std::string items;
  for (std::size_t i = 0; i < count; ++i) items += subdevice_item("sub-" + std::to_string(i));
  return items;
}

TEST_CASE("2000 sub-devices are accepted, 2001 are one error", "[unit]") {
  const LoadResult at_limit = load(with_subdevices(many_subdevices(kMaxSubdevicesPerGateway)));
  INFO(test::all_errors(at_limit));
  REQUIRE(at_limit.config.has_value());
  CHECK(at_limit.config->subdevices.size() == kMaxSubdevicesPerGateway);

  const LoadResult over = load(with_subdevices(many_subdevices(kMaxSubdevicesPerGateway + 1)));
  REQUIRE(over.errors.size() == 1);
  CHECK(over.errors[0].key_path == "subdevices[2000]");
  CHECK(over.errors[0].line == 9 + 5 * 2000);
  CHECK_THAT(over.errors[0].message, Catch::Contains("more than 2000"));
  CHECK_FALSE(over.config.has_value());
}

TEST_CASE("params must be a map", "[unit]") {
  const LoadResult result = load(with_subdevices(subdevice_item("sub-0000") + "    params: [1, 2]\n"));
  REQUIRE(find_error(result, "subdevices[0].params") != nullptr);
  CHECK(find_error(result, "subdevices[0].params")->line == 14);
}

}  // namespace
}  // namespace otagw::config
