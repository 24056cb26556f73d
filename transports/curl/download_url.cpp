#include "transports/curl/download_url.hpp"

#include <new>

#include "transports/download_error.hpp"
#include "transports/download_hosts.hpp"

namespace otagw::transports::curl {
namespace {

// The host or scheme goes into the result and the log: printable ASCII only,
// bounded, whatever the URL held.
std::string quoted(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte >= 0x7f || byte == '\'' || byte == '\\') {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += static_cast<char>(byte);
    }
  }
  if (text.size() > kMax) out += "...";
  return out + "'";
}

// One part of the URL, or "" if it has none.
std::string part(CURLU* url, CURLUPart which) {
  char* raw = nullptr;
  if (curl_url_get(url, which, &raw, 0) != CURLUE_OK || raw == nullptr) return {};
  std::string value = raw;
  curl_free(raw);
  return value;
}

}  // namespace

Expected<UrlPtr> checked_url(std::string_view url, bool allow_http,
                             const std::vector<config::HostPattern>& allowed_hosts) {
  UrlPtr parsed(curl_url());
  if (!parsed) throw std::bad_alloc();
  const std::string text(url);  // curl_url_set wants a terminated string
  // NON_SUPPORT_SCHEME: parse any scheme, so that refusing it is our call.
  const CURLUcode rc = curl_url_set(parsed.get(), CURLUPART_URL, text.c_str(), CURLU_NON_SUPPORT_SCHEME);
  if (rc != CURLUE_OK) return make_error(DownloadErrc::bad_url, curl_url_strerror(rc));
  const std::string scheme = part(parsed.get(), CURLUPART_SCHEME);  // libcurl lower-cases it
  if (scheme.empty()) return make_error(DownloadErrc::bad_url, "no scheme");
  if (scheme != "https" && !(allow_http && scheme == "http")) {
    return make_error(DownloadErrc::scheme_refused, "scheme " + quoted(scheme) + " refused");
  }
  const std::string host = part(parsed.get(), CURLUPART_HOST);
  if (host.empty()) return make_error(DownloadErrc::bad_url, "no host");
  if (!host_allowed(host, allowed_hosts)) {
    return make_error(DownloadErrc::host_refused, "host " + quoted(host) + " is not an allowed download host");
  }
  return parsed;
}

}  // namespace otagw::transports::curl
