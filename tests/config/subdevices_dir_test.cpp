// subdevices_dir: files read in name order, errors naming their file.
#include <catch2/catch.hpp>

#include "config_test_support.hpp"

namespace otagw::config {
namespace {

using test::kCopyPlugin;
using test::kGateway;
using test::subdevice_item;

// A main config in `dir`/gateway.yaml with `dir_key` as subdevices_dir and
// `items` (may be empty) as its own `subdevices`.
std::filesystem::path write_main(const test::TempDir& dir, const std::string& dir_key, const std::string& items = "") {
  std::string yaml = std::string(kGateway) + std::string(kCopyPlugin);  // 7 lines
  if (!items.empty()) yaml += "subdevices:\n" + items;
  yaml += "subdevices_dir: " + dir_key + "\n";
  return dir.write("gateway.yaml", yaml);
}

TEST_CASE("subdevices_dir files are read in name order after the main list", "[unit]") {
  const test::TempDir dir;
  dir.write("sub.d/20-b.yaml", subdevice_item("sub-b", "copy", ""));
  dir.write("sub.d/10-a.yaml",
            "# comment\n" + subdevice_item("sub-a1", "copy", "") + subdevice_item("sub-a2", "copy", ""));
  dir.write("sub.d/30-empty.yaml", "# no devices yet\n");
  dir.write("sub.d/README.txt", "not yaml: [");
  dir.write("sub.d/.hidden.yaml", "not yaml: [");
  dir.write("sub.d/other.yml", "not yaml: [");
  std::filesystem::create_directories(dir.path() / "sub.d" / "dir.yaml");
  const std::filesystem::path main = write_main(dir, "sub.d", subdevice_item("sub-main"));

  const LoadResult result = load_config_file(main);
  INFO(test::all_errors(result, main));
  REQUIRE(result.config.has_value());
  const std::vector<SubdeviceConfig>& devices = result.config->subdevices;
  REQUIRE(devices.size() == 4);
  CHECK(devices[0].device_name == "sub-main");
  REQUIRE((devices[0].source_file && devices[1].source_file && devices[2].source_file && devices[3].source_file));
  CHECK(*devices[0].source_file == main);
  CHECK(devices[1].device_name == "sub-a1");
  CHECK(*devices[1].source_file == dir.path() / "sub.d" / "10-a.yaml");
  CHECK(devices[1].source_line == 2);
  CHECK(devices[2].device_name == "sub-a2");
  CHECK(devices[2].source_line == 7);
  // One path per file, not one per entry (2000 entries would hold 2000 copies).
  CHECK(devices[2].source_file == devices[1].source_file);
  CHECK(devices[3].device_name == "sub-b");
  CHECK(*devices[3].source_file == dir.path() / "sub.d" / "20-b.yaml");
  CHECK(result.config->subdevices_dir == dir.path() / "sub.d");
}

TEST_CASE("an error in a subdevices_dir file names that file, with paths relative to it", "[unit]") {
  const test::TempDir dir;
  const std::filesystem::path file =
      dir.write("sub.d/10-a.yaml", subdevice_item("sub-a1", "copy", "") + subdevice_item("sub-a2", "uart2", ""));
  const std::filesystem::path main = write_main(dir, "sub.d");

  const LoadResult result = load_config_file(main);
  REQUIRE(result.errors.size() == 1);
  const ConfigError& error = result.errors[0];
  CHECK(error.file == file);
  CHECK(error.key_path == "[1].plugin");
  CHECK(error.line == 10);
  CHECK(error.to_string(main) == file.string() + ": [1].plugin: unknown plugin 'uart2' (line 10)");
}

TEST_CASE("duplicates across subdevices_dir files are found", "[unit]") {
  const test::TempDir dir;
  const std::filesystem::path first = dir.write("sub.d/10-a.yaml", subdevice_item("sub-x", "copy", ""));
  const std::filesystem::path second =
      dir.write("sub.d/20-b.yaml", subdevice_item("sub-y", "copy", "") + subdevice_item("sub-x", "copy", ""));
  const std::filesystem::path main = write_main(dir, "sub.d", subdevice_item("sub-y"));  // item at line 9

  const LoadResult result = load_config_file(main);
  INFO(test::all_errors(result, main));
  REQUIRE(result.errors.size() == 2);
  // In file order: both are in 20-b.yaml.
  CHECK(result.errors[0].file == second);
  CHECK(result.errors[0].key_path == "[0]");
  CHECK(result.errors[0].line == 1);
  CHECK_THAT(result.errors[0].message,
             Catch::StartsWith("a1SubProd1/sub-y is already listed at subdevices[0] in " + main.string() + " (line 9)"));
  CHECK(result.errors[1].file == second);
  CHECK(result.errors[1].key_path == "[1]");
  CHECK(result.errors[1].line == 6);
  CHECK_THAT(result.errors[1].message,
             Catch::StartsWith("a1SubProd1/sub-x is already listed at [0] in " + first.string() + " (line 1)"));
}

TEST_CASE("a missing subdevices_dir is an error at its key", "[unit]") {
  const test::TempDir dir;
  const std::filesystem::path main = write_main(dir, "nonexistent.d");
  const LoadResult result = load_config_file(main);
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].file == main);
  CHECK(result.errors[0].key_path == "subdevices_dir");
  CHECK(result.errors[0].line == 8);
  CHECK_THAT(result.errors[0].message, Catch::Contains("does not exist"));

  dir.write("plain-file", "");
  const LoadResult not_dir = load_config_file(write_main(dir, "plain-file"));
  REQUIRE(not_dir.errors.size() == 1);
  CHECK_THAT(not_dir.errors[0].message, Catch::Contains("not a directory"));
}

TEST_CASE("a subdevices_dir file that is not a list, or not YAML, is an error naming it", "[unit]") {
  const test::TempDir dir;
  const std::filesystem::path map_file = dir.write("sub.d/10-map.yaml", "product_key: a1SubProd1\n");
  const std::filesystem::path broken = dir.write("sub.d/20-broken.yaml", "- [\n");
  const LoadResult result = load_config_file(write_main(dir, "sub.d"));
  INFO(test::all_errors(result));
  REQUIRE(result.errors.size() == 2);
  CHECK(result.errors[0].file == map_file);
  CHECK(result.errors[0].key_path.empty());
  CHECK_THAT(result.errors[0].message, Catch::Contains("expected a list"));
  CHECK(result.errors[1].file == broken);
  CHECK_THAT(result.errors[1].message, Catch::Contains("YAML syntax error"));
}

TEST_CASE("the sub-device cap counts the main list and the directory together", "[unit]") {
  const test::TempDir dir;
  std::string main_items;
  for (int i = 0; i < 1500; ++i) main_items += subdevice_item("main-" + std::to_string(i));
  std::string dir_items;
  for (int i = 0; i < 501; ++i) dir_items += subdevice_item("dir-" + std::to_string(i), "copy", "");
  const std::filesystem::path file = dir.write("sub.d/10-more.yaml", dir_items);
  const LoadResult result = load_config_file(write_main(dir, "sub.d", main_items));
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].file == file);
  CHECK(result.errors[0].key_path == "[500]");
  CHECK(result.errors[0].line == 1 + 5 * 500);
}

TEST_CASE("relative secret files in a subdevices_dir file are relative to that directory", "[unit]") {
  const test::TempDir dir;
  dir.write("sub.d/keys/a.secret", "dir-secret\n");
  dir.write("sub.d/10-a.yaml",
            "- product_key: a1SubProd1\n"
            "  device_name: sub-0000\n"
            "  device_secret_file: keys/a.secret\n"
            "  version: '1'\n"
            "  plugin: copy\n");
  const LoadResult result = load_config_file(write_main(dir, "sub.d"));
  INFO(test::all_errors(result));
  REQUIRE(result.config.has_value());
  CHECK(result.config->subdevices.at(0).device_secret.reveal() == "dir-secret");
}

}  // namespace
}  // namespace otagw::config
