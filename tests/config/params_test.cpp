// A sub-device's params as JSON: typing of plain scalars, nesting, limits.
#include <catch2/catch.hpp>

#include "config_test_support.hpp"

namespace otagw::config {
namespace {

using test::find_error;

// Loads one sub-device with `params` as given (indented under the item) and
// returns the result.
LoadResult load_params(const std::string& params) {
  const std::string yaml = std::string(test::kGateway) + std::string(test::kCopyPlugin) + "subdevices:\n" +
                           test::subdevice_item("sub-0000") + "    params:\n" + params;  // params start at line 15
  return load_config_string(yaml, "test.yaml", "/");
}

nlohmann::json params_of(const std::string& params) {
  const LoadResult result = load_params(params);
  INFO(test::all_errors(result));
  REQUIRE(result.config.has_value());
  return result.config->subdevices.at(0).params;
}

TEST_CASE("plain scalars in params become JSON types, quoted ones stay strings", "[unit]") {
  const nlohmann::json params = params_of(
      "      int: 42\n"
      "      negative: -7\n"
      "      plus: +7\n"
      "      hex: 0x1F\n"
      "      octal: 0o17\n"
      "      leading_zero: 0042\n"
      "      float: 1.5\n"
      "      exponent: 1e3\n"
      "      yes_word: yes\n"
      "      on_word: on\n"
      "      bool: true\n"
      "      bool_caps: FALSE\n"
      "      nothing:\n"
      "      tilde: ~\n"
      "      null_word: null\n"
      "      quoted_int: \"42\"\n"
      "      single_quoted_bool: 'true'\n"
      "      quoted_null: \"null\"\n"
      "      tagged: !!str 5\n"
      "      text: /dev/ttyS1\n"
      "      version_like: 1.2.3\n"
      "      infinity: .inf\n"
      "      big: 18446744073709551615\n"
      "      huge: 123456789012345678901234567890\n"
      "      list: [1, two, 3.0, false]\n"
      "      nested: {a: {b: [x, {c: 1}]}}\n");
  CHECK(params["int"] == 42);
  CHECK(params["int"].is_number_integer());
  CHECK(params["negative"] == -7);
  CHECK(params["plus"] == 7);
  CHECK(params["hex"] == 31);
  CHECK(params["octal"] == 15);
  CHECK(params["leading_zero"] == 42);
  CHECK(params["float"] == 1.5);
  CHECK(params["exponent"] == 1000.0);
  CHECK(params["exponent"].is_number_float());
  CHECK(params["yes_word"] == "yes");
  CHECK(params["on_word"] == "on");
  CHECK(params["bool"] == true);
  CHECK(params["bool_caps"] == false);
  CHECK(params["nothing"].is_null());
  CHECK(params["tilde"].is_null());
  CHECK(params["null_word"].is_null());
  CHECK(params["quoted_int"] == "42");
  CHECK(params["single_quoted_bool"] == "true");
  CHECK(params["quoted_null"] == "null");
  CHECK(params["tagged"] == "5");
  CHECK(params["text"] == "/dev/ttyS1");
  CHECK(params["version_like"] == "1.2.3");
  CHECK(params["infinity"] == ".inf");
  CHECK(params["big"] == 18446744073709551615ULL);
  CHECK(params["huge"] == "123456789012345678901234567890");
  CHECK(params["list"] == nlohmann::json::parse(R"([1, "two", 3.0, false])"));
  CHECK(params["nested"] == nlohmann::json::parse(R"({"a": {"b": ["x", {"c": 1}]}})"));
}

TEST_CASE("absent or empty params are an empty object", "[unit]") {
  CHECK(params_of("") == nlohmann::json::object());
  CHECK(params_of("      {}\n") == nlohmann::json::object());
}

TEST_CASE("a repeated key inside params is an error at its path", "[unit]") {
  const LoadResult result = load_params(
      "      port: a\n"    // 15
      "      port: b\n");  // 16
  const ConfigError* error = find_error(result, "subdevices[0].params.port");
  REQUIRE(error != nullptr);
  CHECK(error->line == 16);
  CHECK_FALSE(result.config.has_value());
}

TEST_CASE("an alias that contains itself is an error, not a crash", "[unit]") {
  const LoadResult result = load_params("      &loop {self: *loop}\n");
  INFO(test::all_errors(result));
  CHECK_FALSE(result.config.has_value());
  REQUIRE(result.errors.size() == 1);
  CHECK_THAT(result.errors[0].key_path, Catch::StartsWith("subdevices[0].params.self"));
  CHECK_THAT(result.errors[0].message, Catch::Contains("nested deeper"));
}

TEST_CASE("an alias bomb in params is cut off", "[unit]") {
  std::string params = "      a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char previous = 'a';
  for (char name = 'b'; name <= 'h'; ++name) {
    params += std::string("      ") + name + ": &" + name + " [";
    for (int i = 0; i < 10; ++i) params += std::string(i ? ", *" : "*") + previous;
    params += "]\n";
    previous = name;
  }
  const LoadResult result = load_params(params);
  CHECK_FALSE(result.config.has_value());
  REQUIRE(result.errors.size() == 1);
  CHECK_THAT(result.errors[0].message, Catch::Contains("more than"));
}

}  // namespace
}  // namespace otagw::config
