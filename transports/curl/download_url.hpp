#pragma once
// A download URL parsed by libcurl (curl_url) and checked before anything
// touches the disk or the network: its scheme, and its host against the
// allowed hosts. The parsed handle itself goes to the transfer
// (CURLOPT_CURLU), so the host checked is the host libcurl connects to.
#include <curl/curl.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/host_pattern.hpp"
#include "transports/result.hpp"

namespace otagw::transports::curl {

struct UrlDeleter {
  void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};
using UrlPtr = std::unique_ptr<CURLU, UrlDeleter>;

// Errors (DownloadErrc, Error::context says why, naming the scheme or the
// host, cut to a readable length): bad_url, scheme_refused (not https, nor
// http when `allow_http`), host_refused (not in `allowed_hosts`; empty = any).
// Throws std::bad_alloc if libcurl cannot allocate.
[[nodiscard]] Expected<UrlPtr> checked_url(std::string_view url, bool allow_http,
                                           const std::vector<config::HostPattern>& allowed_hosts);

}  // namespace otagw::transports::curl
