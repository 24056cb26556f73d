#include "transports/download_hosts.hpp"

namespace otagw::transports {

bool host_allowed(std::string_view host, const std::vector<config::HostPattern>& allowed) {
  if (allowed.empty()) return true;
  const auto normal = config::normalize_host(host);
  if (!normal) return false;
  const std::string_view name = *normal;
  for (const config::HostPattern& pattern : allowed) {
    if (!pattern.subdomains) {
      if (name == pattern.host) return true;
      continue;
    }
    // The dot before the suffix keeps "evilaliyuncs.com" out of
    // "*.aliyuncs.com"; the size check keeps the bare suffix out.
    if (name.size() > pattern.host.size() + 1 && name.ends_with(pattern.host) &&
        name[name.size() - pattern.host.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

}  // namespace otagw::transports
