#pragma once
// The GETs of a download on its own easy handle: what it sends (Range), what
// it accepts (200/206, sizes), and where the body goes: the StagingWriter,
// which writes and hashes it on the pool while more arrives. libcurl does
// not follow redirects: a 3xx ends the transfer with Outcome::redirect, and
// the owner checks that URL and calls follow() (one handle, one staging file
// and one Range for every hop).
//
// Loop thread only. The callbacks given here run inside libcurl's callbacks:
// they must only post work, never call back into libcurl.
#include <curl/curl.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "transports/curl/download_url.hpp"
#include "transports/curl/staging_file.hpp"
#include "transports/curl/staging_writer.hpp"
#include "transports/http_download.hpp"

namespace otagw::transports::curl {

// The most bytes the image may have: the smaller of expected_size and
// max_bytes that are set; 0 = no limit.
[[nodiscard]] std::uint64_t size_limit(const DownloadRequest& request) noexcept;

class DownloadTransfer {
 public:
  struct Callbacks {
    // A 200 answered our Range: the transfer is paused until the owner has
    // emptied the file (empty_file()) and called resume().
    std::function<void()> restart_needed;
    // The writer's buffers were full and the transfer paused: one is free
    // now (posted on the loop), the owner calls resume().
    std::function<void()> room;
    // Throttled to one call per 100 ms.
    std::function<void(std::uint64_t done, std::uint64_t total)> progress;
  };

  struct Outcome {
    std::error_code error;
    bool truncate_file = false;  // the file must be emptied (a 200 with no body after Range, a stale file)
    // A 301/302/303/307/308 answered (error is empty): libcurl's
    // CURLINFO_REDIRECT_URL, absolute, not checked yet. Nothing was written.
    std::optional<std::string> redirect;
  };

  // `url` is the request's URL, already checked (checked_url). The file's
  // bytes are written and hashed on `pool`. Throws std::bad_alloc if libcurl
  // cannot create a handle.
  DownloadTransfer(const DownloadRequest& request, UrlPtr url, StagingFile file, asio::any_io_executor loop,
                   asio::any_io_executor pool, Callbacks callbacks);
  ~DownloadTransfer();
  DownloadTransfer(const DownloadTransfer&) = delete;
  DownloadTransfer& operator=(const DownloadTransfer&) = delete;

  [[nodiscard]] CURL* easy() const noexcept { return easy_.get(); }
  [[nodiscard]] std::shared_ptr<FileHandle> file_handle() const { return writer_.file_handle(); }
  [[nodiscard]] StagingWriter& writer() noexcept { return writer_; }

  // After restart_needed: empties the file and starts the digest again, in
  // order after what was written; `done(ec)` on the loop.
  void empty_file(std::function<void(std::error_code)> done);
  // After restart_needed (once the file is empty) or room: carry on. Not
  // from inside a libcurl callback. libcurl hands over the held chunk inside
  // this call; if that fails, the error is returned and the owner must end
  // the transfer (libcurl does not schedule it again).
  [[nodiscard]] std::error_code resume();
  // After an Outcome::redirect: the next GET goes to `url` (already checked),
  // with the same Range. The owner adds easy() to the multi again.
  void follow(UrlPtr url);
  // The owner ended the transfer itself (after removing it from the multi).
  [[nodiscard]] DownloadResult abandon(std::error_code error, std::string detail);

  // Once libcurl reports the transfer done: the verdict, and result() filled
  // but for its digest_hex, which writer().finish() gives once the last
  // chunk is written.
  [[nodiscard]] Outcome finish(CURLcode rc);
  [[nodiscard]] DownloadResult& result() noexcept { return result_; }
  [[nodiscard]] std::uint64_t bytes() const noexcept { return offset_; }
  [[nodiscard]] std::uint64_t total() const noexcept { return total_.value_or(0); }

 private:
  struct EasyDeleter {
    void operator()(CURL* easy) const noexcept { curl_easy_cleanup(easy); }
  };
  struct ContentRange {
    std::optional<std::uint64_t> first;     // absent for "bytes */N"
    std::optional<std::uint64_t> complete;  // absent for "bytes a-b/*"
  };

  static std::size_t header_callback(char* data, std::size_t size, std::size_t count, void* self);
  static std::size_t write_callback(char* data, std::size_t size, std::size_t count, void* self);
  void configure(const DownloadRequest& request);
  void on_header(std::string_view line);
  std::size_t on_body(const char* data, std::size_t size);
  std::error_code begin_body();
  [[nodiscard]] bool already_complete() const;
  void report_progress(bool force);
  std::error_code record(DownloadErrc errc, std::string detail);

  UrlPtr url_;  // the current hop's; libcurl reads it (CURLOPT_CURLU), so it outlives easy_
  std::unique_ptr<CURL, EasyDeleter> easy_;
  curl_slist* headers_ = nullptr;
  std::array<char, CURL_ERROR_SIZE> curl_error_{};
  Callbacks callbacks_;

  std::uint64_t expected_size_;
  std::uint64_t limit_;                  // smaller of expected_size and max_bytes that are set; 0 = none
  std::uint64_t resumed_from_;           // bytes in the file when the request went out
  std::uint64_t offset_;                 // bytes of the image received (handed to the writer) so far
  std::optional<std::uint64_t> total_;   // the whole image's size, as the answer declares it
  std::optional<ContentRange> content_range_;  // of the latest response
  bool body_started_ = false;
  bool discard_body_ = false;            // a 416 for a file that is already whole, or a redirect
  bool redirected_ = false;              // the answer is a redirect to follow
  std::uint64_t redirect_body_ = 0;      // bytes of a redirect's body, thrown away
  bool truncate_ = false;
  std::error_code error_;                // our own reason to abort, beats libcurl's
  DownloadResult result_;
  std::chrono::steady_clock::time_point last_progress_{};
  StagingWriter writer_;  // last: built from the StagingFile the members above read
};

}  // namespace otagw::transports::curl
