#include "config/host_pattern.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include "config/message_text.hpp"

namespace otagw::config {

namespace {

constexpr std::size_t kMaxName = 253;
constexpr std::size_t kMaxLabel = 63;

// ASCII only on purpose: std::isalnum and std::tolower depend on the locale.
bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// An IPv6 address in inet_ntop's canonical text, so "::1" and "0:0::1" are one
// host; nullopt when it is none.
std::optional<std::string> canonical_ipv6(std::string_view text) {
  if (text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string copy(text);  // inet_pton wants a terminated string
  in6_addr address{};
  if (::inet_pton(AF_INET6, copy.c_str(), &address) != 1) return std::nullopt;
  char canonical[INET6_ADDRSTRLEN] = {};
  if (::inet_ntop(AF_INET6, &address, canonical, sizeof canonical) == nullptr) return std::nullopt;
  return std::string(canonical);
}

// Lower case and without its trailing dot if `text` is a DNS name (IPv4
// addresses included); nullopt otherwise.
std::optional<std::string> normal_name(std::string_view text) {
  if (text.size() > 1 && text.back() == '.') text.remove_suffix(1);
  if (text.empty() || text.size() > kMaxName) return std::nullopt;
  std::string name;
  name.reserve(text.size());
  std::size_t label = 0;
  for (const char c : text) {
    const char lower = to_lower(c);
    if (lower == '.') {
      if (label == 0) return std::nullopt;  // "a..b", ".a"
      label = 0;
    } else if (!is_name_char(lower) || ++label > kMaxLabel) {
      return std::nullopt;
    }
    name += lower;
  }
  if (label == 0) return std::nullopt;  // "." alone, "a.."
  return name;
}

std::string_view last_label(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

// Why `text` is not a host, for the cases people actually write.
std::string what_is_wrong(std::string_view text) {
  if (text.find("://") != std::string_view::npos) return "a host name, not a URL: no scheme";
  if (text.find('/') != std::string_view::npos) return "a host name only: no path";
  if (text.find('@') != std::string_view::npos) return "a host name only: no user name";
  if (text.find(':') != std::string_view::npos) return "a host name or IP address only: no port";
  if (text.find('*') != std::string_view::npos) return "'*' is allowed only as a leading '*.'";
  const auto bad = std::find_if(text.begin(), text.end(), [](char c) { return c != '.' && !is_name_char(to_lower(c)); });
  if (bad != text.end()) {
    return "invalid character " + detail::quote_value(std::string_view(&*bad, 1)) +
           ": expected letters, digits, '-', '_' and '.'";
  }
  return "expected labels of 1-" + std::to_string(kMaxLabel) + " characters separated by single dots, at most " +
         std::to_string(kMaxName) + " characters in all";
}

tl::unexpected<std::string> refuse(std::string_view text, const std::string& why) {
  return tl::unexpected("invalid host pattern " + detail::quote_value(text) + ": " + why);
}

}  // namespace

std::optional<std::string> normalize_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') return canonical_ipv6(host.substr(1, host.size() - 2));
  if (host.find(':') != std::string_view::npos) return canonical_ipv6(host);
  return normal_name(host);
}

tl::expected<HostPattern, std::string> parse_host_pattern(std::string_view text) {
  if (text.empty()) return refuse(text, "must not be empty");
  if (text.substr(0, 2) == "*.") {
    const std::string_view suffix = text.substr(2);
    if (suffix.empty() || suffix == ".") return refuse(text, "'*.' needs a domain after it, e.g. '*.example.com'");
    if (suffix.front() == '[' || canonical_ipv6(suffix)) {
      return refuse(text, "'*.' applies to domain names, not IP addresses");
    }
    auto name = normal_name(suffix);
    if (!name) return refuse(text, what_is_wrong(suffix));
    // A top-level domain is never all digits: "*.0.1" could only be meant to
    // match IP addresses, which have no subdomains.
    if (all_digits(last_label(*name))) return refuse(text, "'*.' applies to domain names, not IP addresses");
    return HostPattern{std::move(*name), true};
  }
  if (text == "*") return refuse(text, "'*' alone would allow any host; leave the list empty for that");
  auto host = normalize_host(text);
  if (!host) return refuse(text, what_is_wrong(text));
  return HostPattern{std::move(*host), false};
}

}  // namespace otagw::config
