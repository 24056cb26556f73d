// host_allowed: a URL's host against ota.allowed_download_hosts patterns.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "transports/download_hosts.hpp"

using otagw::config::HostPattern;
using otagw::config::parse_host_pattern;
using otagw::transports::host_allowed;

namespace {

std::vector<HostPattern> patterns(std::initializer_list<const char*> texts) {
  std::vector<HostPattern> out;
  for (const char* text : texts) {
    auto pattern = parse_host_pattern(text);
    REQUIRE(pattern);
    out.push_back(*pattern);
  }
  return out;
}

}  // namespace

TEST_CASE("download hosts: an empty list allows any host", "[unit][download]") {
  CHECK(host_allowed("fw.example.com", {}));
  CHECK(host_allowed("[::1]", {}));
  CHECK(host_allowed("", {}));
}

TEST_CASE("download hosts: *.suffix matches names strictly below the suffix", "[unit][download]") {
  const auto allowed = patterns({"*.aliyuncs.com"});
  CHECK(host_allowed("a.aliyuncs.com", allowed));
  CHECK(host_allowed("x.y.aliyuncs.com", allowed));
  CHECK(host_allowed("OTA.Oss-CN-Shanghai.ALIYUNCS.com", allowed));
  CHECK(host_allowed("a.aliyuncs.com.", allowed));  // a trailing dot is the same host
  CHECK_FALSE(host_allowed("aliyuncs.com", allowed));
  CHECK_FALSE(host_allowed("aliyuncs.com.", allowed));
  CHECK_FALSE(host_allowed("evilaliyuncs.com", allowed));
  CHECK_FALSE(host_allowed("a.evilaliyuncs.com", allowed));
  CHECK_FALSE(host_allowed("aliyuncs.com.evil.net", allowed));
  CHECK_FALSE(host_allowed(".aliyuncs.com", allowed));
  CHECK_FALSE(host_allowed("a..aliyuncs.com", allowed));
  CHECK_FALSE(host_allowed("a/b.aliyuncs.com", allowed));
  CHECK_FALSE(host_allowed("a@b.aliyuncs.com", allowed));
  CHECK_FALSE(host_allowed("a%2eb.aliyuncs.com", allowed));
  CHECK_FALSE(host_allowed("b\xc3\xbc" "cher.aliyuncs.com", allowed));  // not ASCII: no match, ever
}

TEST_CASE("download hosts: exact names and IP addresses match themselves only", "[unit][download]") {
  const auto allowed = patterns({"fw.example.com", "127.0.0.1", "::1"});
  CHECK(host_allowed("fw.example.com", allowed));
  CHECK(host_allowed("FW.EXAMPLE.COM.", allowed));
  CHECK_FALSE(host_allowed("a.fw.example.com", allowed));
  CHECK_FALSE(host_allowed("example.com", allowed));
  CHECK_FALSE(host_allowed("fw.example.co", allowed));
  CHECK_FALSE(host_allowed("fw.example.com.evil.net", allowed));
  CHECK(host_allowed("127.0.0.1", allowed));
  CHECK_FALSE(host_allowed("127.0.0.2", allowed));
  CHECK_FALSE(host_allowed("127.0.0.10", allowed));
  CHECK(host_allowed("[::1]", allowed));  // as curl's CURLUPART_HOST gives it
  CHECK(host_allowed("[0:0::1]", allowed));
  CHECK_FALSE(host_allowed("[::2]", allowed));
  CHECK_FALSE(host_allowed("localhost", allowed));
  CHECK_FALSE(host_allowed("", allowed));
}

TEST_CASE("download hosts: any one pattern of the list is enough", "[unit][download]") {
  const auto allowed = patterns({"*.cdn.example.com", "fw.example.net"});
  CHECK(host_allowed("eu.cdn.example.com", allowed));
  CHECK(host_allowed("fw.example.net", allowed));
  CHECK_FALSE(host_allowed("cdn.example.com", allowed));
  CHECK_FALSE(host_allowed("eu.fw.example.net", allowed));
}
