// Buses and flash windows: ota.max_parallel_downloads, max_staging_bytes,
// flash_windows and require_synced_clock; per sub-device bus and
// flash_windows, the same for every module entry of a device.
#include <catch2/catch.hpp>

#include "config_test_support.hpp"

namespace otagw::config {
namespace {

using test::find_error;
using test::kCopyPlugin;
using test::kGateway;
using test::subdevice_item;

LoadResult load(const std::string& yaml) { return load_config_string(yaml, "test.yaml", "/etc/otagw"); }

Config load_ok(const std::string& yaml) {
  const LoadResult result = load(yaml);
  INFO(test::all_errors(result));
  REQUIRE(result.errors.empty());
  REQUIRE(result.config.has_value());
  return *result.config;
}

// Loads `yaml`, expects exactly one error, at `key_path`, and returns it.
ConfigError only_error(const std::string& yaml, std::string_view key_path) {
  const LoadResult result = load(yaml);
  INFO(test::all_errors(result));
  CHECK_FALSE(result.config.has_value());
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].key_path == key_path);
  return result.errors[0];
}

// kGateway (4 lines) + kCopyPlugin (3 lines) + "subdevices:" = 8 lines before the first item.
std::string with_subdevices(const std::string& items) {
  return std::string(kGateway) + std::string(kCopyPlugin) + "subdevices:\n" + items;
}

// kGateway (4 lines) + "ota:" = 5 lines before the first ota key.
std::string with_ota(const std::string& keys) { return std::string(kGateway) + "ota:\n" + keys; }

TEST_CASE("the new ota keys and a sub-device's bus and windows have their documented defaults", "[unit]") {
  const Config config = load_ok(with_subdevices(subdevice_item("sub-0000")));
  CHECK(config.ota.max_parallel_downloads == 2);
  CHECK(config.ota.max_staging_bytes == 1073741824U);
  CHECK(config.ota.flash_windows.empty());  // always open
  CHECK(config.ota.require_synced_clock);
  REQUIRE(config.subdevices.size() == 1);
  CHECK(config.subdevices[0].bus == "default");
  CHECK_FALSE(config.subdevices[0].flash_windows.has_value());  // ota.flash_windows
}

TEST_CASE("the ota keys for parallel jobs and windows are read", "[unit]") {
  const Config config =
      load_ok(with_ota("  max_online: 10\n"
                       "  max_parallel_downloads: 9\n"
                       "  max_staging_bytes: 1048576\n"
                       "  flash_windows: [\"02:00-05:00\", '22:00-23:30:15', 12:00-13:00, \"02:00-05:00\"]\n"
                       "  require_synced_clock: false\n"));
  CHECK(config.ota.max_parallel_downloads == 9);
  CHECK(config.ota.max_staging_bytes == 1048576U);
  // An exact repeat is dropped; order kept.
  CHECK(config.ota.flash_windows == std::vector<FlashWindow>{{7200, 18000}, {79200, 84615}, {43200, 46800}});
  CHECK_FALSE(config.ota.require_synced_clock);

  CHECK(load_ok(with_ota("  flash_windows: []\n")).ota.flash_windows.empty());
  CHECK(load_ok(with_ota("  flash_windows:\n")).ota.flash_windows.empty());
  CHECK(load_ok(with_ota("  max_parallel_downloads: 64\n")).ota.max_parallel_downloads == 64);
  CHECK(load_ok(with_ota("  max_staging_bytes: 1099511627776\n")).ota.max_staging_bytes == 1099511627776U);
}

TEST_CASE("bad values of the ota keys for parallel jobs and windows name their key and line", "[unit]") {
  CHECK(only_error(with_ota("  max_parallel_downloads: 0\n"), "ota.max_parallel_downloads").line == 6);
  CHECK(only_error(with_ota("  max_online: 100\n  max_parallel_downloads: 65\n"), "ota.max_parallel_downloads").line ==
        7);
  CHECK(only_error(with_ota("  max_staging_bytes: 1048575\n"), "ota.max_staging_bytes").line == 6);
  CHECK(only_error(with_ota("  max_staging_bytes: 1GiB\n"), "ota.max_staging_bytes").line == 6);
  CHECK(only_error(with_ota("  require_synced_clock: yes\n"), "ota.require_synced_clock").line == 6);
  CHECK_THAT(only_error(with_ota("  flash_windows: \"02:00-05:00\"\n"), "ota.flash_windows").message,
             Catch::Contains("expected a list"));
  CHECK_THAT(only_error(with_ota("  flash_windows: {a: b}\n"), "ota.flash_windows").message,
             Catch::Contains("expected a list"));
}

TEST_CASE("every bad window of a list is reported at its own index and line", "[unit]") {
  const LoadResult result =
      load(with_ota("  flash_windows:\n"          // 6
                    "    - \"02:00-05:00\"\n"     // 7
                    "    - \"02:00-02:00\"\n"     // 8
                    "    - \"2:00-05:00\"\n"      // 9
                    "    - [\"02:00\"]\n"         // 10
                    "    - \"24:00-01:00\"\n"));  // 11
  INFO(test::all_errors(result));
  CHECK_FALSE(result.config.has_value());
  REQUIRE(result.errors.size() == 4);
  const ConfigError* same = find_error(result, "ota.flash_windows[1]");
  REQUIRE(same != nullptr);
  CHECK(same->line == 8);
  CHECK(same->message ==
        "invalid window '02:00-02:00': start and end are the same time; for no limit leave the list empty ([])");
  const ConfigError* form = find_error(result, "ota.flash_windows[2]");
  REQUIRE(form != nullptr);
  CHECK(form->line == 9);
  CHECK_THAT(form->message, Catch::StartsWith("invalid window '2:00-05:00': expected HH:MM-HH:MM"));
  const ConfigError* list = find_error(result, "ota.flash_windows[3]");
  REQUIRE(list != nullptr);
  CHECK(list->line == 10);
  CHECK_THAT(list->message, Catch::Contains("got a list"));
  const ConfigError* midnight = find_error(result, "ota.flash_windows[4]");
  REQUIRE(midnight != nullptr);
  CHECK(midnight->line == 11);
  CHECK_THAT(midnight->message, Catch::Contains("24:00 is allowed only as the end"));
}

TEST_CASE("max_parallel_downloads must be below max_online, and the error names both keys", "[unit]") {
  const ConfigError equal =
      only_error(with_ota("  max_online: 4\n  max_parallel_downloads: 4\n"), "ota.max_parallel_downloads");
  CHECK(equal.line == 7);
  CHECK_THAT(equal.message, Catch::StartsWith("must be below ota.max_online (4), got 4"));
  // Only max_online set, below the default of 2: the line is max_online's.
  const ConfigError by_default =
      only_error(with_ota("  query_timeout_s: 5\n  max_online: 2\n"), "ota.max_parallel_downloads");
  CHECK(by_default.line == 7);
  CHECK_THAT(by_default.message, Catch::StartsWith("must be below ota.max_online (2), got 2"));
  CHECK(load_ok(with_ota("  max_online: 3\n")).ota.max_online == 3);
  CHECK(load_ok(with_ota("  max_online: 2\n  max_parallel_downloads: 1\n")).ota.max_parallel_downloads == 1);
}

TEST_CASE("a sub-device's bus and flash windows are read", "[unit]") {
  const Config config =
      load_ok(with_subdevices(subdevice_item("sub-0000") + "    bus: uart-1.a_B\n" + subdevice_item("sub-0001") +
                              "    flash_windows: []\n" + subdevice_item("sub-0002") + "    bus: can0\n" +
                              "    flash_windows: [\"22:00-02:00\", \"03:00:05-03:00:10\"]\n"));
  REQUIRE(config.subdevices.size() == 3);
  CHECK(config.subdevices[0].bus == "uart-1.a_B");
  CHECK_FALSE(config.subdevices[0].flash_windows.has_value());
  CHECK(config.subdevices[1].bus == "default");
  REQUIRE(config.subdevices[1].flash_windows.has_value());
  CHECK(config.subdevices[1].flash_windows->empty());  // always open for this one
  CHECK(config.subdevices[2].bus == "can0");
  CHECK(config.subdevices[2].flash_windows == std::vector<FlashWindow>{{79200, 7200}, {10805, 10810}});
  CHECK(load_ok(with_subdevices(subdevice_item("sub-0000") + "    bus: " + std::string(32, 'b') + "\n"))
            .subdevices[0]
            .bus.size() == 32);
}

TEST_CASE("a bad bus name is refused at its key and line", "[unit]") {
  // Item at lines 9-13, the bus at 14.
  const std::vector<std::string> bad_names = {"'uart 1'",           "uart/1", "'+'",   "''",
                                              std::string(33, 'b'), "[a]",    "bus#1", "\xC3\xBC"};
  for (const std::string& bad : bad_names) {
    INFO(bad);
    const ConfigError error =
        only_error(with_subdevices(subdevice_item("sub-0000") + "    bus: " + bad + "\n"), "subdevices[0].bus");
    CHECK(error.line == 14);
  }
  CHECK_THAT(only_error(with_subdevices(subdevice_item("sub-0000") + "    bus: uart/1\n"), "subdevices[0].bus").message,
             Catch::Contains("expected 1-32 characters of letters, digits and _ . -"));
}

TEST_CASE("bad flash windows on a sub-device are refused at their index and line", "[unit]") {
  const ConfigError bad =
      only_error(with_subdevices(subdevice_item("sub-0000") + "    flash_windows: [\"02:00-02:00\"]\n"),
                 "subdevices[0].flash_windows[0]");
  CHECK(bad.line == 14);
  CHECK_THAT(bad.message, Catch::StartsWith("invalid window '02:00-02:00'"));
  // Nothing at all could mean "inherit" or "always": refused, with the way to say each.
  const ConfigError nothing =
      only_error(with_subdevices(subdevice_item("sub-0000") + "    flash_windows:\n"), "subdevices[0].flash_windows");
  CHECK(nothing.line == 14);
  CHECK_THAT(nothing.message, Catch::Contains("[] = always open"));
  CHECK(only_error(with_subdevices(subdevice_item("sub-0000") + "    flash_windows: 02:00-05:00\n"),
                   "subdevices[0].flash_windows")
            .line == 14);
}

TEST_CASE("module entries of one device on different buses name both entries and lines", "[unit]") {
  const LoadResult result = load(with_subdevices(subdevice_item("sub-0000") + "    bus: uart1\n" +    // 9-14
                                                 subdevice_item("sub-0001") +                         // 15-19
                                                 subdevice_item("sub-0000") + "    module: mcu\n" +   // 20-25
                                                 "    bus: uart2\n" +                                 // 26
                                                 subdevice_item("sub-0000") + "    module: dsp\n"));  // 27-32
  INFO(test::all_errors(result));
  CHECK_FALSE(result.config.has_value());
  REQUIRE(result.errors.size() == 2);
  CHECK(result.errors[0].key_path == "subdevices[2].bus");
  CHECK(result.errors[0].line == 26);
  CHECK(result.errors[0].message ==
        "a1SubProd1/sub-0000 is on bus 'uart2' here but on bus 'uart1' at subdevices[0] (line 9); every module "
        "entry of a device names the same bus");
  // No bus is the bus 'default', which is another bus than uart1; the line is the entry's.
  CHECK(result.errors[1].key_path == "subdevices[3].bus");
  CHECK(result.errors[1].line == 27);
  CHECK_THAT(result.errors[1].message,
             Catch::StartsWith("a1SubProd1/sub-0000 is on bus 'default' here but on bus 'uart1' at subdevices[0] "
                               "(line 9)"));

  // The same bus on every entry is fine, and so are other devices on other buses.
  const Config same =
      load_ok(with_subdevices(subdevice_item("sub-0000") + "    bus: uart1\n" + subdevice_item("sub-0000") +
                              "    module: mcu\n    bus: uart1\n" + subdevice_item("sub-0001") + "    bus: uart2\n"));
  CHECK(same.subdevices[1].bus == "uart1");
}

TEST_CASE("module entries of one device with different flash windows name both entries and lines", "[unit]") {
  const LoadResult result = load(with_subdevices(
      subdevice_item("sub-0000") + "    flash_windows: [\"02:00-05:00\"]\n" +                        // 9-14
      subdevice_item("sub-0000") + "    module: mcu\n" + "    flash_windows: [\"02:00-06:00\"]\n" +  // 15-21
      subdevice_item("sub-0000") + "    module: dsp\n" +                                             // 22-27
      subdevice_item("sub-0000") + "    module: ext\n" + "    flash_windows: []\n"));                // 28-34
  INFO(test::all_errors(result));
  CHECK_FALSE(result.config.has_value());
  REQUIRE(result.errors.size() == 3);
  CHECK(result.errors[0].key_path == "subdevices[1].flash_windows");
  CHECK(result.errors[0].line == 21);
  CHECK(result.errors[0].message ==
        "a1SubProd1/sub-0000 has flash_windows [02:00-06:00] here but [02:00-05:00] at subdevices[0] (line 9); "
        "every module entry of a device names the same windows");
  CHECK(result.errors[1].key_path == "subdevices[2].flash_windows");
  CHECK(result.errors[1].line == 22);
  CHECK_THAT(
      result.errors[1].message,
      Catch::StartsWith("a1SubProd1/sub-0000 has flash_windows none (ota.flash_windows) here but [02:00-05:00]"));
  CHECK(result.errors[2].key_path == "subdevices[3].flash_windows");
  CHECK(result.errors[2].line == 34);
  CHECK_THAT(result.errors[2].message, Catch::StartsWith("a1SubProd1/sub-0000 has flash_windows [] here"));

  // The same windows, written differently, are the same.
  const Config same = load_ok(with_subdevices(subdevice_item("sub-0000") + "    flash_windows: [\"02:00-05:00\"]\n" +
                                              subdevice_item("sub-0000") +
                                              "    module: mcu\n    flash_windows: [\"02:00:00-05:00:00\"]\n"));
  CHECK(same.subdevices[1].flash_windows == same.subdevices[0].flash_windows);
}

TEST_CASE("a device's entries in two files that disagree on the bus name the other file", "[unit]") {
  const test::TempDir dir;
  const std::filesystem::path dir_file =
      dir.write("sub.d/10-a.yaml", subdevice_item("sub-x", "copy", "") + "  module: mcu\n  bus: can1\n");
  const std::filesystem::path main =
      dir.write("gateway.yaml", std::string(kGateway) + std::string(kCopyPlugin) + "subdevices:\n" +
                                    subdevice_item("sub-x") + "    bus: can0\n" + "subdevices_dir: sub.d\n");
  const LoadResult result = load_config_file(main);
  INFO(test::all_errors(result, main));
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].file == dir_file);
  CHECK(result.errors[0].key_path == "[0].bus");
  CHECK(result.errors[0].line == 7);
  CHECK(result.errors[0].message == "a1SubProd1/sub-x is on bus 'can1' here but on bus 'can0' at subdevices[0] in " +
                                        main.string() + " (line 9); every module entry of a device names the same bus");
}

}  // namespace
}  // namespace otagw::config
