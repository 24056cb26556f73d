#pragma once
// Which hosts a firmware download may reach (ota.allowed_download_hosts):
// matching a URL's host against the patterns of config/host_pattern.hpp.
// Pure text handling, no Asio or curl, so it can be fuzzed on its own.
#include <string_view>
#include <vector>

#include "config/host_pattern.hpp"

namespace otagw::transports {

// True when `allowed` is empty (any host) or `host` matches one of its
// patterns: an exact pattern equals it, a "*.suffix" pattern matches names
// strictly below the suffix. `host` is taken as a URL gives it (IPv6 in
// brackets, case and one trailing dot ignored); a host that is neither a DNS
// name nor an IP address (see config::normalize_host) matches nothing.
[[nodiscard]] bool host_allowed(std::string_view host, const std::vector<config::HostPattern>& allowed);

}  // namespace otagw::transports
