#pragma once
// Firmware download over HTTPS into a staging file, resumable, hashed while it
// streams (no second pass, no image in memory: memory stays flat whatever the
// image size).
//
// libcurl's multi_socket interface driven by the daemon's io_context (no
// library thread); the blocking steps (re-hashing a partial staging file,
// truncating it, fsync) run on the daemon's blocking-call pool.
//
// Threading: construct, call and destroy on the io_context's thread. Handlers
// (completion, on_progress) run on that thread too.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "config/host_pattern.hpp"
#include "transports/asio.hpp"
#include "transports/completion.hpp"
#include "transports/digest.hpp"
#include "transports/download_error.hpp"

namespace otagw::transports {

struct DownloadRequest {
  std::string url;
  // Staging file. Bytes already in it are resumed after re-hashing them on the
  // blocking pool (the file is the only truth: no offset is trusted). A file
  // longer than the limit below is emptied and downloaded again.
  std::filesystem::path file;
  // The offer's size (0 = unknown). A transfer that declares more is refused
  // before its body is written, one that sends more is aborted at the limit,
  // one that ends with fewer bytes fails with size_mismatch.
  std::uint64_t expected_size = 0;
  std::uint64_t max_bytes = 0;  // ota.max_image_bytes (0 = no cap); same checks as expected_size
  DigestMethod digest = DigestMethod::sha256;
  std::string ca_file;      // "" = system trust store; else only this CA bundle. Peer and host always verified
  bool allow_http = false;  // plain http:// only when true; any other scheme is always refused (redirects too)
  // Hosts the URL and every redirect may name (ota.allowed_download_hosts);
  // empty = any host. Checked on the host as libcurl parses the URL, before
  // any connection to it.
  std::vector<config::HostPattern> allowed_hosts;
  std::chrono::seconds connect_timeout{30};    // DNS + TCP + TLS
  // Abort after this long below 1 byte/s (a stalled server). libcurl
  // averages the speed over its last 5 s, so a stall right after fast data
  // is noticed up to 5 s later than this.
  std::chrono::seconds low_speed_timeout{30};
  // Bytes in the file so far and the total if known (else 0); on the loop, at
  // most every 100 ms while data flows and once at the end of a success.
  std::function<void(std::uint64_t done, std::uint64_t total)> on_progress;
};

struct DownloadResult {
  std::uint64_t bytes = 0;  // size of the staging file
  std::string digest_hex;   // lower-case hex of the whole file (on success only)
  long http_status = 0;     // the final answer's status, 0 if none came
  bool restarted = false;   // the bytes in the file were dropped (a 200 to our Range, or a stale file)
  std::string error_detail;  // on failure: libcurl's or our own description, for the log
};

// One per daemon; any number of downloads may run at once (they share
// libcurl's connection cache).
class HttpDownloader {
 public:
  HttpDownloader(asio::any_io_executor loop, asio::any_io_executor blocking_pool);
  // Cancels what is still running (handlers get DownloadErrc::cancelled).
  ~HttpDownloader();
  HttpDownloader(const HttpDownloader&) = delete;
  HttpDownloader& operator=(const HttpDownloader&) = delete;

  // One attempt (no retry, no back-off: the caller's job). Sends
  // `Range: bytes=N-` when the staging file holds N bytes; a 206 appends, a
  // 200 starts again at zero (file truncated, hash reset, result.restarted);
  // a 416 when the file already holds the whole image counts as done.
  // Follows up to 5 redirects (301, 302, 303, 307, 308) itself, each one's
  // URL checked like the first (scheme, allowed_hosts) before it is
  // requested, with the same Range: the staging file's bytes are the same
  // image whichever host serves the rest.
  //
  // Handler signature: void(std::error_code ec, DownloadResult result).
  // Completion: once the file holds the whole body and is fsync'ed ({}), or on
  // the first failure. Never invoked from inside this call.
  // Errors (DownloadErrc): scheme_refused, host_refused, bad_url (for the
  // first URL before any I/O; for a redirect before it is requested;
  // result.error_detail names the scheme or host); http_status (anything but
  // 200/206, a redirect without a Location, more than 5 redirects;
  // result.http_status says which); too_large (also a redirect whose body
  // exceeds 64 KiB), size_mismatch, timed_out, connect_failed, tls_failed,
  // io_error (staging file), cancelled, transfer_failed.
  // The digest is NOT compared with anything: the caller checks
  // result.digest_hex against the offer's sign.
  // Cancellation: cancel_all() or destroying the downloader completes it with
  // DownloadErrc::cancelled (== std::errc::operation_canceled); the staging
  // file keeps what was written, for the next attempt to resume.
  template <typename Token>
  auto async_download(DownloadRequest request, Token&& token) {
    return asio::async_initiate<Token, void(std::error_code, DownloadResult)>(
        [this](auto handler, DownloadRequest r) {
          start_download(std::move(r),
                         Completion<void(std::error_code, DownloadResult)>(std::move(handler), executor()));
        },
        token, std::move(request));
  }

  // Completes every pending download with DownloadErrc::cancelled.
  void cancel_all();

  [[nodiscard]] asio::any_io_executor executor() const;

 private:
  class Impl;
  void start_download(DownloadRequest request, Completion<void(std::error_code, DownloadResult)> done);
  std::shared_ptr<Impl> impl_;
};

}  // namespace otagw::transports
