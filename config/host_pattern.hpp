#pragma once
// One entry of ota.allowed_download_hosts: which hosts a firmware download may
// reach. The grammar lives here, below transports, because the config loader
// validates with it and transports/download_hosts.hpp matches with it: one
// grammar for both. Pure text handling (no YAML, Asio or curl) so it can be
// fuzzed on its own.
//
//   exact    "fw.example.com", "10.0.0.7", "::1" or "[::1]"
//   suffix   "*.aliyuncs.com": any name strictly below aliyuncs.com
//            (a.aliyuncs.com, x.y.aliyuncs.com), never aliyuncs.com itself
//            nor evilaliyuncs.com
//
// Case-insensitive; one trailing dot is ignored. No scheme, user, port, path,
// nor '*' anywhere but a leading "*.".
#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace otagw::config {

struct HostPattern {
  std::string host;         // normal form (normalize_host); for "*.suffix" the suffix
  bool subdomains = false;  // "*.host": names strictly below `host`, not `host` itself

  friend bool operator==(const HostPattern&, const HostPattern&) = default;
};

// The pattern, or a one-line reason it is not one (quoting the text, cut to a
// readable length).
[[nodiscard]] tl::expected<HostPattern, std::string> parse_host_pattern(std::string_view text);

// A host as a URL names it (IPv6 in brackets, as curl's CURLUPART_HOST gives
// it) in normal form: ASCII lower case, no trailing dot, an IPv6 address
// without brackets in its canonical text (inet_ntop). nullopt when it is not a
// DNS name of [A-Za-z0-9_-] labels (1-63 each, 253 in all) nor an IP address:
// such a host matches no pattern.
[[nodiscard]] std::optional<std::string> normalize_host(std::string_view host);

}  // namespace otagw::config
