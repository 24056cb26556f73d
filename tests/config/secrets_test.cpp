// device_secret / device_secret_file, and that no secret reaches a message.
#include <catch2/catch.hpp>

#include "config_test_support.hpp"

namespace otagw::config {
namespace {

using test::find_error;

const std::string kGatewayHead = "gateway:\n  product_key: a1GwProd01\n  device_name: gw-0001\n";  // lines 1-3

TEST_CASE("a secret file is read, trailing whitespace trimmed, relative to the config", "[unit]") {
  const test::TempDir dir;
  dir.write("secrets/gw.secret", "  s3cret value\t \r\n\n");
  const LoadResult result =
      load_config_string(kGatewayHead + "  device_secret_file: secrets/gw.secret\n", "test.yaml", dir.path());
  INFO(test::all_errors(result));
  REQUIRE(result.config.has_value());
  // Only the end is trimmed: leading and inner whitespace could be part of a secret.
  CHECK(result.config->gateway.device_secret.reveal() == "  s3cret value");
}

TEST_CASE("a sub-device's secret file is read too", "[unit]") {
  const test::TempDir dir;
  const std::filesystem::path secret = dir.write("sub.secret", "sub-secret\n");
  const std::string yaml = kGatewayHead + "  device_secret: g\n" + std::string(test::kCopyPlugin) +
                           "subdevices:\n"
                           "  - product_key: a1SubProd1\n"
                           "    device_name: sub-0000\n"
                           "    device_secret_file: " +
                           secret.string() +
                           "\n"
                           "    version: '1'\n"
                           "    plugin: copy\n";
  const LoadResult result = load_config_string(yaml, "test.yaml", "/");
  INFO(test::all_errors(result));
  REQUIRE(result.config.has_value());
  CHECK(result.config->subdevices.at(0).device_secret.reveal() == "sub-secret");
}

TEST_CASE("an empty or unreadable secret file is an error", "[unit]") {
  const test::TempDir dir;
  dir.write("blank.secret", " \n\n");
  const LoadResult blank =
      load_config_string(kGatewayHead + "  device_secret_file: blank.secret\n", "test.yaml", dir.path());
  const ConfigError* empty_error = find_error(blank, "gateway.device_secret_file");
  REQUIRE(empty_error != nullptr);
  CHECK(empty_error->line == 4);
  CHECK_THAT(empty_error->message, Catch::Contains("empty"));
  CHECK_FALSE(blank.config.has_value());

  const LoadResult missing =
      load_config_string(kGatewayHead + "  device_secret_file: missing.secret\n", "test.yaml", dir.path());
  const ConfigError* missing_error = find_error(missing, "gateway.device_secret_file");
  REQUIRE(missing_error != nullptr);
  CHECK(missing_error->line == 4);
  CHECK_THAT(missing_error->message, Catch::Contains("No such file"));

  const LoadResult directory = load_config_string(kGatewayHead + "  device_secret_file: .\n", "test.yaml", dir.path());
  CHECK(find_error(directory, "gateway.device_secret_file") != nullptr);

  dir.write("huge.secret", std::string(10000, 'x'));
  const LoadResult huge =
      load_config_string(kGatewayHead + "  device_secret_file: huge.secret\n", "test.yaml", dir.path());
  CHECK(find_error(huge, "gateway.device_secret_file") != nullptr);
}

TEST_CASE("exactly one of device_secret and device_secret_file", "[unit]") {
  const LoadResult both = load_config_string(kGatewayHead +
                                                 "  device_secret: a\n"         // 4
                                                 "  device_secret_file: /x\n",  // 5
                                             "test.yaml", "/");
  const ConfigError* both_error = find_error(both, "gateway.device_secret_file");
  REQUIRE(both_error != nullptr);
  CHECK(both_error->line == 5);
  CHECK_THAT(both_error->message, Catch::Contains("only one"));

  const LoadResult neither = load_config_string(kGatewayHead, "test.yaml", "/");
  const ConfigError* neither_error = find_error(neither, "gateway.device_secret");
  REQUIRE(neither_error != nullptr);
  CHECK(neither_error->line == 2);
  CHECK_THAT(neither_error->message, Catch::Contains("device_secret_file"));
  CHECK_FALSE(neither.config.has_value());
}

TEST_CASE("a secret never appears in an error message", "[unit]") {
  const std::string secret = "Zq9-S3CRET-never-print-4711";
  const test::TempDir dir;
  dir.write("both.secret", secret + "\n");
  // The secret in every wrong place we can think of, one load each where they
  // would mask each other.
  const std::vector<std::string> configs = {
      kGatewayHead + "  device_secret: {value: " + secret + "}\n",
      kGatewayHead + "  device_secret: [" + secret + "]\n",
      kGatewayHead + "  device_secert: " + secret + "\n",
      kGatewayHead + "  device_secret: " + secret + "\n  device_secret_file: both.secret\n",
      kGatewayHead + "  device_secret: " + secret + "\n  device_secret: " + secret + "\n",
      kGatewayHead + "  device_secret: \"" + secret + "\\q\"\n",
      kGatewayHead + "  device_secret: \"" + secret + "\\uZZZZ\"\n",
      kGatewayHead + "  device_secret: \"" + secret + "\n",
      kGatewayHead + "  device_secret: x\nsubdevices:\n  - device_secret: [" + secret + "]\n",
  };
  for (const std::string& yaml : configs) {
    const LoadResult result = load_config_string(yaml, "test.yaml", dir.path());
    const std::string text = test::all_errors(result);
    INFO(yaml);
    INFO(text);
    CHECK_FALSE(result.errors.empty());
    // Not even a part of it.
    CHECK(text.find(secret.substr(0, 10)) == std::string::npos);
    CHECK(text.find(secret.substr(10)) == std::string::npos);
  }
}

}  // namespace
}  // namespace otagw::config
