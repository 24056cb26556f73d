// Each kind of error names its key path and line; all are reported together.
#include <catch2/catch.hpp>

#include "config_test_support.hpp"

namespace otagw::config {
namespace {

using test::find_error;
using test::kGateway;

LoadResult load(const std::string& yaml) { return load_config_string(yaml, "test.yaml", "/etc/otagw"); }

// Loads `yaml`, expects it to fail and returns the error at `key_path`.
ConfigError expect_error(const std::string& yaml, std::string_view key_path) {
  const LoadResult result = load(yaml);
  INFO(test::all_errors(result));
  CHECK_FALSE(result.config.has_value());
  const ConfigError* error = find_error(result, key_path);
  REQUIRE(error != nullptr);
  CHECK(error->file == "test.yaml");
  return *error;
}

TEST_CASE("a YAML syntax error is reported with its line", "[unit]") {
  const LoadResult result = load(std::string(kGateway) +  // lines 1-4
                                 "mqtt:\n"                // 5
                                 "  port: [1, 2\n"        // 6
                                 "  tls: true\n");        // 7
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].key_path.empty());
  CHECK(result.errors[0].line >= 6);
  CHECK_THAT(result.errors[0].message, Catch::Contains("YAML syntax error"));
  CHECK_FALSE(result.config.has_value());
}

TEST_CASE("a quoted string that is never closed is a syntax error", "[unit]") {
  // yaml-cpp alone would take the rest of the file as the string.
  for (const std::string quote : {"\"", "'"}) {
    const LoadResult result = load(
        "gateway:\n"
        "  product_key: a1GwProd01\n"
        "  device_name: gw-0001\n"
        "  device_secret: " +
        quote +
        "abc\n"  // 4
        "log:\n"
        "  level: info\n");
    INFO(test::all_errors(result));
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].line == 4);
    CHECK_THAT(result.errors[0].message, Catch::Contains("not closed"));
  }
  const LoadResult escaped = load(
      "gateway:\n"
      "  product_key: a1GwProd01\n"
      "  device_name: 'gw-''0001'\n"
      "  device_secret: \"a\\\"b\"\n");
  const ConfigError* error = find_error(escaped, "gateway.device_name");
  REQUIRE(error != nullptr);  // the quote is fine, the name is not
  CHECK(escaped.errors.size() == 1);
}

TEST_CASE("a byte order mark at the start is fine", "[unit]") {
  const LoadResult result = load("\xEF\xBB\xBF" + std::string(kGateway) + "log:\n  level: 'info'\n");
  INFO(test::all_errors(result));
  CHECK(result.errors.empty());
}

TEST_CASE("a file that cannot be read is one error naming it", "[unit]") {
  const test::TempDir dir;
  const std::filesystem::path missing = dir.path() / "missing.yaml";
  const LoadResult result = load_config_file(missing);
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].file == missing);
  CHECK_THAT(result.errors[0].message, Catch::Contains("No such file"));
  CHECK_FALSE(result.config.has_value());

  const LoadResult directory = load_config_file(dir.path());
  REQUIRE(directory.errors.size() == 1);
  CHECK_THAT(directory.errors[0].message, Catch::Contains("directory"));
}

TEST_CASE("an empty file is an error", "[unit]") {
  const LoadResult result = load("# nothing but a comment\n");
  REQUIRE(result.errors.size() == 1);
  CHECK_FALSE(result.config.has_value());
}

TEST_CASE("a second YAML document is an error", "[unit]") {
  const LoadResult result = load(std::string(kGateway) + "---\nlog:\n  level: info\n");
  REQUIRE(result.errors.size() == 1);
  CHECK_THAT(result.errors[0].message, Catch::Contains("more than one YAML document"));
}

// Found by the config fuzz target (tests/fuzz/corpus/config/stray-comma*):
// yaml-cpp 0.7 does not consume a ',' where a document should start and
// returned empty documents for ever, taking all memory.
TEST_CASE("a stray comma is a syntax error on its line and not an endless load", "[unit]") {
  for (const std::string& yaml : {std::string(","), std::string(kGateway) + "[a],\n", std::string(",, b]\n\n?]\n")}) {
    INFO(yaml);
    const LoadResult result = load(yaml);
    REQUIRE(result.errors.size() == 1);
    CHECK_THAT(result.errors[0].message, Catch::Contains("YAML syntax error"));
    CHECK(result.errors[0].line == (yaml.starts_with(",") ? 1 : 5));
    CHECK_FALSE(result.config.has_value());
  }
}

TEST_CASE("nesting deeper than 64 levels is an error with its line", "[unit]") {
  SECTION("flow") {
    const LoadResult result = load(std::string(kGateway) + "params: " + std::string(100000, '['));
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].line == 5);
    CHECK_THAT(result.errors[0].message, Catch::Contains("nested deeper than 64 levels"));
  }
  SECTION("block") {
    std::string yaml;
    for (int i = 0; i < 70; ++i) yaml += std::string(static_cast<std::size_t>(i), ' ') + "k:\n";
    const LoadResult result = load(yaml);
    REQUIRE(result.errors.size() == 1);
    CHECK_THAT(result.errors[0].message, Catch::Contains("nested deeper than 64 levels"));
  }
  SECTION("64 levels are fine for YAML") {
    // Still refused, but by the gateway section's checks, not as YAML.
    const LoadResult result = load("x: " + std::string(63, '[') + std::string(63, ']') + "\n");
    for (const ConfigError& error : result.errors) CHECK_THAT(error.message, !Catch::Contains("nested deeper"));
  }
}

TEST_CASE("an unknown key is reported with its line and the closest known key", "[unit]") {
  const ConfigError error = expect_error(std::string(kGateway) +    // lines 1-4
                                             "mqtt:\n"              // 5
                                             "  host: 127.0.0.1\n"  // 6
                                             "  tsl: true\n",       // 7
                                         "mqtt.tsl");
  CHECK(error.line == 7);
  CHECK_THAT(error.message, Catch::StartsWith("unknown key"));
  CHECK_THAT(error.message, Catch::Contains("'tls'"));
  CHECK(error.to_string("test.yaml") == "mqtt.tsl: unknown key, did you mean 'tls'? (line 7)");
}

TEST_CASE("unknown keys are found at every level", "[unit]") {
  const std::string yaml = std::string(kGateway) +          // 1-4
                           "gatway_extra: 1\n"              // 5
                           "plugins:\n"                     // 6
                           "  copy:\n"                      // 7
                           "    exec: /bin/true\n"          // 8
                           "    timeout: 5\n"               // 9
                           "subdevices:\n"                  // 10
                           "  - product_key: a1SubProd1\n"  // 11
                           "    device_name: sub-0000\n"    // 12
                           "    device_secret: s\n"         // 13
                           "    version: '1'\n"             // 14
                           "    plugin: copy\n"             // 15
                           "    colour: blue\n";            // 16
  const LoadResult result = load(yaml);
  INFO(test::all_errors(result));
  REQUIRE(find_error(result, "gatway_extra") != nullptr);
  CHECK(find_error(result, "gatway_extra")->line == 5);
  REQUIRE(find_error(result, "plugins.copy.timeout") != nullptr);
  CHECK(find_error(result, "plugins.copy.timeout")->line == 9);
  CHECK_THAT(find_error(result, "plugins.copy.timeout")->message, Catch::Contains("timeout_s"));
  REQUIRE(find_error(result, "subdevices[0].colour") != nullptr);
  CHECK(find_error(result, "subdevices[0].colour")->line == 16);
  CHECK(result.errors.size() == 3);
}

TEST_CASE("a repeated key is an error", "[unit]") {
  const ConfigError error = expect_error(std::string(kGateway) +  // 1-4
                                             "log:\n"             // 5
                                             "  level: info\n"    // 6
                                             "  level: debug\n",  // 7
                                         "log.level");
  CHECK(error.line == 7);
  CHECK_THAT(error.message, Catch::Contains("line 6"));
}

TEST_CASE("a wrong type names what was expected and what was found", "[unit]") {
  const std::string yaml = std::string(kGateway) +  // 1-4
                           "mqtt:\n"                // 5
                           "  port: abc\n";         // 6
  const ConfigError error = expect_error(yaml, "mqtt.port");
  CHECK(error.line == 6);
  CHECK(error.message == "expected an integer, got 'abc'");

  CHECK_THAT(expect_error(std::string(kGateway) + "mqtt:\n  port: \"443\"\n", "mqtt.port").message,
             Catch::Contains("quoted"));
  CHECK_THAT(expect_error(std::string(kGateway) + "mqtt:\n  port: 4.5\n", "mqtt.port").message,
             Catch::Contains("expected an integer"));
  CHECK_THAT(expect_error(std::string(kGateway) + "mqtt:\n  port:\n", "mqtt.port").message,
             Catch::Contains("got nothing"));
  CHECK_THAT(expect_error(std::string(kGateway) + "mqtt:\n  host: [a, b]\n", "mqtt.host").message,
             Catch::Contains("expected a string, got a list"));
  CHECK_THAT(expect_error(std::string(kGateway) + "mqtt: [1, 2]\n", "mqtt").message,
             Catch::Contains("expected a map, got a list"));
  CHECK_THAT(expect_error(std::string(kGateway) + "subdevices: {a: 1}\n", "subdevices").message,
             Catch::Contains("expected a list"));
}

TEST_CASE("booleans are true or false only", "[unit]") {
  for (const std::string value : {"yes", "no", "on", "1", "True", "\"true\""}) {
    const ConfigError error = expect_error(std::string(kGateway) + "mqtt:\n  tls: " + value + "\n", "mqtt.tls");
    CHECK(error.line == 6);
    CHECK_THAT(error.message, Catch::StartsWith("expected true or false"));
  }
}

TEST_CASE("an out-of-range value is an error stating the range", "[unit]") {
  const ConfigError keepalive = expect_error(std::string(kGateway) + "mqtt:\n  keepalive_s: 29\n", "mqtt.keepalive_s");
  CHECK(keepalive.line == 6);
  CHECK(keepalive.message == "must be between 30 and 1200, got 29");
  CHECK_THAT(expect_error(std::string(kGateway) + "mqtt:\n  port: 0\n", "mqtt.port").message,
             Catch::Contains("between 1 and 65535"));
  CHECK_THAT(expect_error(std::string(kGateway) + "mqtt:\n  port: 65536\n", "mqtt.port").message,
             Catch::Contains("between 1 and 65535"));
  CHECK_THAT(
      expect_error(std::string(kGateway) + "ota:\n  max_image_bytes: 17179869185\n", "ota.max_image_bytes").message,
      Catch::Contains("between 1 and 17179869184"));
  CHECK_THAT(expect_error(std::string(kGateway) + "ota:\n  max_online: 2001\n", "ota.max_online").message,
             Catch::Contains("between 2 and 2000"));
  // 1 would leave no seat beside even one download.
  CHECK_THAT(expect_error(std::string(kGateway) + "ota:\n  max_online: 1\n", "ota.max_online").message,
             Catch::Contains("between 2 and 2000"));
  CHECK_THAT(expect_error(std::string(kGateway) + "ota:\n  sweep_interval_s: 99999999999999999999999\n",
                          "ota.sweep_interval_s")
                 .message,
             Catch::Contains("between 1 and 604800"));
  CHECK_THAT(
      expect_error(std::string(kGateway) + "mqtt:\n  connect_timeout_s: 301\n", "mqtt.connect_timeout_s").message,
      Catch::Contains("between 1 and 300"));
}

TEST_CASE("a missing required key is reported at the line of its map", "[unit]") {
  const ConfigError error = expect_error(
      "log:\n"                       // 1
      "  level: info\n"              // 2
      "gateway:\n"                   // 3
      "  product_key: a1GwProd01\n"  // 4
      "  device_secret: s\n",        // 5
      "gateway.device_name");
  CHECK(error.line == 4);
  CHECK(error.message == "missing required key");

  const ConfigError section = expect_error("log:\n  level: info\n", "gateway");
  CHECK(section.line == 1);

  const ConfigError empty_section = expect_error("gateway:\nlog:\n  level: info\n", "gateway.product_key");
  CHECK(empty_section.line == 1);
}

TEST_CASE("empty strings are refused where a value is required", "[unit]") {
  const ConfigError error = expect_error(
      "gateway:\n"
      "  product_key: a1GwProd01\n"
      "  device_name: \"\"\n"  // 3
      "  device_secret: s\n",
      "gateway.device_name");
  CHECK(error.line == 3);
  CHECK(error.message == "must not be empty");
  CHECK(expect_error(std::string(kGateway) + "ota:\n  state_dir:\n", "ota.state_dir").line == 6);
  CHECK(expect_error(std::string(kGateway) + "subdevices_dir: ''\n", "subdevices_dir").line == 5);
}

TEST_CASE("identifiers that would break MQTT topics are refused", "[unit]") {
  auto gateway = [](const std::string& product_key, const std::string& device_name) {
    return "gateway:\n  product_key: " + product_key + "\n  device_name: " + device_name + "\n  device_secret: s\n";
  };
  for (const std::string bad : {"a1/b", "a1+b", "a1#", "'a1 b'", "a1-b", "a1_b", "abcdefghijklmnopqrstuvwxyz1234567"}) {
    INFO(bad);
    CHECK(expect_error(gateway(bad, "gw-0001"), "gateway.product_key").line == 2);
  }
  for (const std::string bad :
       {"gw/1", "gw+0001", "gw#0001", "'gw 0001'", "gw1", "abcdefghijklmnopqrstuvwxyz1234567", "\"gw\\t0001\""}) {
    INFO(bad);
    CHECK(expect_error(gateway("a1GwProd01", bad), "gateway.device_name").line == 3);
  }
  const LoadResult good = load(gateway("A1b2", "a_b.c:d@e-f"));
  INFO(test::all_errors(good));
  CHECK(good.errors.empty());
  const LoadResult longest = load(gateway("abcdefghijklmnopqrstuvwxyz123456", "abcdefghijklmnopqrstuvwxyz123456"));
  CHECK(longest.errors.empty());
}

TEST_CASE("mqtt host, region and instance_id are checked", "[unit]") {
  CHECK(expect_error(std::string(kGateway) + "mqtt:\n  host: 'a b'\n", "mqtt.host").line == 6);
  CHECK(expect_error(std::string(kGateway) + "mqtt:\n  host: a/b\n", "mqtt.host").line == 6);
  CHECK(expect_error(std::string(kGateway) + "mqtt:\n  region: cn.shanghai\n", "mqtt.region").line == 6);
  CHECK(expect_error(std::string(kGateway) + "mqtt:\n  region: CN-Shanghai\n", "mqtt.region").line == 6);
  CHECK(expect_error(std::string(kGateway) + "mqtt:\n  instance_id: iot/x\n", "mqtt.instance_id").line == 6);
}

TEST_CASE("a ca_file that cannot be read is an error", "[unit]") {
  const ConfigError error =
      expect_error(std::string(kGateway) + "mqtt:\n  ca_file: /nonexistent/ca.pem\n", "mqtt.ca_file");
  CHECK(error.line == 6);
  CHECK_THAT(error.message, Catch::Contains("/nonexistent/ca.pem"));
  CHECK(expect_error(std::string(kGateway) + "ota:\n  download_ca_file: /\n", "ota.download_ca_file").line == 6);
}

TEST_CASE("a log level outside the list is an error", "[unit]") {
  const ConfigError error = expect_error(std::string(kGateway) + "log:\n  level: verbose\n", "log.level");
  CHECK(error.line == 6);
  CHECK_THAT(error.message, Catch::Contains("trace, debug, info, warn, error"));
}

TEST_CASE("a control socket path longer than a Unix socket address allows is an error", "[unit]") {
  CHECK(
      expect_error(std::string(kGateway) + "control:\n  socket: /run/" + std::string(120, 'x') + "\n", "control.socket")
          .line == 6);
}

TEST_CASE("a plugin has exactly one of exec and library and a valid name", "[unit]") {
  const std::string both = std::string(kGateway) +      // 1-4
                           "plugins:\n"                 // 5
                           "  p1:\n"                    // 6
                           "    exec: /bin/a\n"         // 7
                           "    library: /lib/a.so\n";  // 8
  CHECK(expect_error(both, "plugins.p1.library").line == 8);
  const std::string neither = std::string(kGateway) + "plugins:\n  p1:\n    timeout_s: 5\n";
  const ConfigError missing = expect_error(neither, "plugins.p1.exec");
  CHECK(missing.line == 7);
  CHECK_THAT(missing.message, Catch::Contains("library"));
  CHECK(expect_error(std::string(kGateway) + "plugins:\n  p1:\n", "plugins.p1.exec").line == 6);
  CHECK(expect_error(std::string(kGateway) + "plugins:\n  p1:\n    exec: ''\n", "plugins.p1.exec").line == 7);
  CHECK(expect_error(std::string(kGateway) + "plugins:\n  'bad name':\n    exec: /bin/a\n", "plugins.bad name").line ==
        6);
  CHECK(expect_error(std::string(kGateway) + "plugins:\n  p1:\n    exec: /bin/a\n    timeout_s: 0\n",
                     "plugins.p1.timeout_s")
            .line == 8);
}

TEST_CASE("all errors are reported together, in file order", "[unit]") {
  const std::string yaml =
      "gateway:\n"                     // 1
      "  product_key: a1/bad\n"        // 2
      "  device_name: gw-0001\n"       // 3
      "  device_secret: s\n"           // 4
      "subdevices:\n"                  // 5
      "  - product_key: a1SubProd1\n"  // 6
      "    device_name: sub-0000\n"    // 7
      "    device_secret: s\n"         // 8
      "    version: '1'\n"             // 9
      "    plugin: uart2\n"            // 10
      "mqtt:\n"                        // 11
      "  port: abc\n"                  // 12
      "  tsl: true\n"                  // 13
      "plugins:\n"                     // 14
      "  uart:\n"                      // 15
      "    exec: /bin/uart\n";         // 16
  const LoadResult result = load(yaml);
  INFO(test::all_errors(result));
  CHECK_FALSE(result.config.has_value());
  REQUIRE(result.errors.size() == 4);
  CHECK(result.errors[0].key_path == "gateway.product_key");
  CHECK(result.errors[0].line == 2);
  CHECK(result.errors[1].key_path == "subdevices[0].plugin");
  CHECK(result.errors[1].line == 10);
  CHECK(result.errors[1].message == "unknown plugin 'uart2', did you mean 'uart'?");
  CHECK(result.errors[2].key_path == "mqtt.port");
  CHECK(result.errors[2].line == 12);
  CHECK(result.errors[3].key_path == "mqtt.tsl");
  CHECK(result.errors[3].line == 13);
}

}  // namespace
}  // namespace otagw::config
