#pragma once
// Errors of a firmware download (otagw::transports::HttpDownloader).
//
// DownloadErrc::cancelled compares equal to std::errc::operation_canceled, so
// a caller can test either.
#include <system_error>
#include <type_traits>

namespace otagw::transports {

enum class DownloadErrc {
  scheme_refused = 1,  // not https (or http when allowed): file://, ftp://, ... also on a redirect
  bad_url,             // the URL does not parse
  http_status,         // the final answer was not 200/206 (DownloadResult::http_status says which)
  too_large,           // declared or received size above expected_size or max_bytes
  size_mismatch,       // fewer bytes than declared or expected (connection closed early, bad Content-Range)
  timed_out,           // connect time-out, or below 1 byte/s for low_speed_timeout
  connect_failed,      // DNS, TCP connect, or the connection dropped before any answer
  tls_failed,          // handshake failed: untrusted or wrong-host certificate, bad CA file, ...
  io_error,            // the staging file could not be opened, read, written or synced
  cancelled,           // cancel_all() or the downloader was destroyed
  transfer_failed,     // any other libcurl failure (DownloadResult::error_detail says which)
  host_refused,        // the URL's host (or a redirect's) is not in DownloadRequest::allowed_hosts
};

[[nodiscard]] const std::error_category& download_category() noexcept;

[[nodiscard]] inline std::error_code make_error_code(DownloadErrc e) noexcept {
  return {static_cast<int>(e), download_category()};
}

}  // namespace otagw::transports

template <>
struct std::is_error_code_enum<otagw::transports::DownloadErrc> : std::true_type {};
