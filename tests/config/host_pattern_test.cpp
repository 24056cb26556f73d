// ota.allowed_download_hosts: the pattern grammar, and the key as the loader
// reads it (errors at each item's index and line).
#include <catch2/catch.hpp>

#include "config/host_pattern.hpp"
#include "config_test_support.hpp"

namespace otagw::config {
namespace {

using test::kGateway;

LoadResult load(const std::string& yaml) { return load_config_string(yaml, "test.yaml", "/etc/otagw"); }

HostPattern exact(std::string host) { return {std::move(host), false}; }
HostPattern below(std::string suffix) { return {std::move(suffix), true}; }

TEST_CASE("host patterns: exact names, IP addresses and *.suffix, in normal form", "[unit]") {
  CHECK(parse_host_pattern("fw.example.com") == exact("fw.example.com"));
  CHECK(parse_host_pattern("FW.Example.COM.") == exact("fw.example.com"));  // case, one trailing dot
  CHECK(parse_host_pattern("localhost") == exact("localhost"));
  CHECK(parse_host_pattern("ota_cdn-1.example.com") == exact("ota_cdn-1.example.com"));
  CHECK(parse_host_pattern("127.0.0.1") == exact("127.0.0.1"));
  CHECK(parse_host_pattern("::1") == exact("::1"));
  CHECK(parse_host_pattern("[0:0::1]") == exact("::1"));  // brackets as in a URL, canonical text
  CHECK(parse_host_pattern("2001:DB8::A") == exact("2001:db8::a"));
  CHECK(parse_host_pattern("*.aliyuncs.com") == below("aliyuncs.com"));
  CHECK(parse_host_pattern("*.OSS-cn-shanghai.Aliyuncs.com.") == below("oss-cn-shanghai.aliyuncs.com"));
  CHECK(parse_host_pattern("*.com") == below("com"));
  CHECK(parse_host_pattern(std::string(63, 'a') + ".com"));
}

TEST_CASE("host patterns: what is not a host is refused with the reason", "[unit]") {
  const auto refused = [](std::string_view text, std::string_view reason) {
    INFO(text);
    const auto pattern = parse_host_pattern(text);
    REQUIRE_FALSE(pattern);
    CHECK_THAT(pattern.error(), Catch::Contains(std::string(reason)));
  };
  refused("", "must not be empty");
  refused("*", "'*' alone");
  refused("*.", "needs a domain");
  refused("*..", "needs a domain");
  refused("**.example.com", "'*' is allowed only as a leading '*.'");
  refused("*example.com", "'*' is allowed only as a leading '*.'");
  refused("a.*.example.com", "'*' is allowed only as a leading '*.'");
  refused("fw.*", "'*' is allowed only as a leading '*.'");
  refused("*.*.example.com", "'*' is allowed only as a leading '*.'");
  refused("https://fw.example.com", "no scheme");
  refused("*.https://example.com", "no scheme");
  refused("fw.example.com/fw.bin", "no path");
  refused("fw.example.com:443", "no port");
  refused("[::1]:443", "no port");
  refused("*.example.com:8443", "no port");
  refused("user@fw.example.com", "no user name");
  refused("fw example.com", "invalid character ' '");
  refused("fw.exämple.com", "invalid character");
  refused("fw.example.com\n", "invalid character '\\x0a'");
  refused("a..b", "single dots");
  refused(".example.com", "single dots");
  refused("example.com..", "single dots");
  refused(std::string(64, 'a') + ".com", "1-63 characters");
  refused(std::string(250, 'a').insert(60, ".").insert(120, ".").insert(180, ".") + ".com", "at most 253");
  refused("*.0.0.1", "not IP addresses");
  refused("*.::1", "not IP addresses");
  refused("*.[::1]", "not IP addresses");
}

TEST_CASE("host names are normalised as a URL gives them", "[unit]") {
  CHECK(normalize_host("A.Example.COM.") == "a.example.com");
  CHECK(normalize_host("[::1]") == "::1");
  CHECK(normalize_host("[0::0:1]") == "::1");
  CHECK(normalize_host("::1") == "::1");
  CHECK_FALSE(normalize_host(""));
  CHECK_FALSE(normalize_host("."));
  CHECK_FALSE(normalize_host("[fw.example.com]"));
  CHECK_FALSE(normalize_host("b\xc3\xbc" "cher.example"));  // not ASCII: matches nothing
  CHECK_FALSE(normalize_host("a%2e.example.com"));
}

TEST_CASE("ota.allowed_download_hosts: a list of patterns, duplicates folded", "[unit]") {
  const LoadResult result = load(std::string(kGateway) +
                                 "ota:\n"
                                 "  allowed_download_hosts:\n"
                                 "    - \"*.aliyuncs.com\"\n"
                                 "    - fw.Example.com.\n"
                                 "    - 10.0.0.7\n"
                                 "    - '[::1]'\n"
                                 "    - fw.example.com\n");
  INFO(test::all_errors(result));
  REQUIRE(result.config);
  CHECK(result.config->ota.allowed_download_hosts ==
        std::vector<HostPattern>{below("aliyuncs.com"), exact("fw.example.com"), exact("10.0.0.7"), exact("::1")});

  for (const char* empty : {"  allowed_download_hosts: []\n", "  allowed_download_hosts:\n"}) {
    const LoadResult any = load(std::string(kGateway) + "ota:\n" + empty);
    INFO(test::all_errors(any));
    REQUIRE(any.config);
    CHECK(any.config->ota.allowed_download_hosts.empty());
  }
}

TEST_CASE("ota.allowed_download_hosts: each bad item is reported at its index and line", "[unit]") {
  const LoadResult result = load(std::string(kGateway) +            // lines 1-4
                                 "ota:\n"                           // 5
                                 "  allowed_download_hosts:\n"      // 6
                                 "    - fw.example.com\n"           // 7
                                 "    - \"\"\n"                     // 8
                                 "    - \"*\"\n"                    // 9
                                 "    - https://fw.example.com/\n"  // 10
                                 "    - \"fw.*.example.com\"\n"     // 11
                                 "    - fw.example.com:443\n"       // 12
                                 "    - {host: a}\n"                // 13
                                 "    - fw.example.com/x\n"         // 14
                                 "    - \"f w\"\n");                // 15
  INFO(test::all_errors(result));
  CHECK_FALSE(result.config);
  const std::vector<std::pair<std::string, int>> expected = {
      {"ota.allowed_download_hosts[1]", 8}, {"ota.allowed_download_hosts[2]", 9},
      {"ota.allowed_download_hosts[3]", 10}, {"ota.allowed_download_hosts[4]", 11},
      {"ota.allowed_download_hosts[5]", 12}, {"ota.allowed_download_hosts[6]", 13},
      {"ota.allowed_download_hosts[7]", 14}, {"ota.allowed_download_hosts[8]", 15}};
  REQUIRE(result.errors.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(result.errors[i].key_path == expected[i].first);
    CHECK(result.errors[i].line == expected[i].second);
  }
  CHECK(test::find_error(result, "ota.allowed_download_hosts[0]") == nullptr);
  CHECK_THAT(result.errors[0].to_string("test.yaml"), Catch::Contains("ota.allowed_download_hosts[1]: "));
}

TEST_CASE("ota.allowed_download_hosts: not a list is an error at the key", "[unit]") {
  for (const char* value : {"fw.example.com", "{a: b}", "true"}) {
    const LoadResult result = load(std::string(kGateway) + "ota:\n  allowed_download_hosts: " + value + "\n");
    INFO(test::all_errors(result));
    CHECK_FALSE(result.config);
    const ConfigError* error = test::find_error(result, "ota.allowed_download_hosts");
    REQUIRE(error != nullptr);
    CHECK(error->line == 6);
    CHECK_THAT(error->message, Catch::Contains("expected a list"));
  }
}

TEST_CASE("ota.allowed_download_hosts: an unquoted *.suffix is a YAML alias, reported with its line", "[unit]") {
  const LoadResult result = load(std::string(kGateway) +
                                 "ota:\n"
                                 "  allowed_download_hosts:\n"
                                 "    - *.aliyuncs.com\n");  // 7
  INFO(test::all_errors(result));
  CHECK_FALSE(result.config);
  REQUIRE_FALSE(result.errors.empty());
  CHECK(result.errors[0].line == 7);
}

}  // namespace
}  // namespace otagw::config
