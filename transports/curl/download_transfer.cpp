#include "transports/curl/download_transfer.hpp"

#include <algorithm>
#include <charconv>
#include <new>
#include <string_view>

#include "transports/curl/curl_errors.hpp"

namespace otagw::transports::curl {
namespace {

using namespace std::chrono_literals;

// Large reads cut the per-wake-up cost (one socket_action, one epoll round,
// one write and hash call per buffer) without growing with the image.
constexpr long kBufferBytes = 256 * 1024;
constexpr auto kProgressInterval = 100ms;
// A redirect's body is a short page nobody reads; a server that streams on
// is cut off instead of being read forever.
constexpr std::uint64_t kMaxRedirectBody = 64 * 1024;

bool is_redirect(long status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

// Reads a decimal number and advances past it.
std::optional<std::uint64_t> take_number(std::string_view& text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end == text.data()) return std::nullopt;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return value;
}

bool take(std::string_view& text, char c) {
  if (text.empty() || text.front() != c) return false;
  text.remove_prefix(1);
  return true;
}

DownloadResult restarted_result(bool restarted) {
  DownloadResult result;
  result.restarted = restarted;
  return result;
}

}  // namespace

std::uint64_t size_limit(const DownloadRequest& request) noexcept {
  if (request.expected_size == 0) return request.max_bytes;
  if (request.max_bytes == 0) return request.expected_size;
  return std::min(request.expected_size, request.max_bytes);
}

DownloadTransfer::DownloadTransfer(const DownloadRequest& request, UrlPtr url, StagingFile file,
                                   asio::any_io_executor loop, asio::any_io_executor pool, Callbacks callbacks)
    : url_(std::move(url)),
      easy_(curl_easy_init()),
      callbacks_(std::move(callbacks)),
      expected_size_(request.expected_size),
      limit_(size_limit(request)),
      resumed_from_(file.size),
      offset_(file.size),
      result_(restarted_result(file.discarded)),
      writer_(std::move(loop), std::move(pool), std::move(file)) {
  if (!easy_) throw std::bad_alloc();
  writer_.on_room(callbacks_.room);
  configure(request);
}

DownloadTransfer::~DownloadTransfer() {
  easy_.reset();  // before the header list it may still point to
  curl_slist_free_all(headers_);
}

void DownloadTransfer::configure(const DownloadRequest& request) {
  CURL* e = easy_.get();
  // The parsed URL itself, not its text: the host checked is the host used.
  curl_easy_setopt(e, CURLOPT_CURLU, url_.get());
  // Defence in depth behind the scheme check in front of this.
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, request.allow_http ? "http,https" : "https");
  // Redirects are followed by hand (Outcome::redirect), so that every hop's
  // scheme and host are checked before it is connected to: libcurl 7.88 has
  // no per-hop hook.
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "otagw/0.1");
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!request.ca_file.empty()) {
    curl_easy_setopt(e, CURLOPT_CAINFO, request.ca_file.c_str());
    // Debian's libcurl also trusts /etc/ssl/certs by default: a given CA file
    // is meant to be the only trust anchor.
    curl_easy_setopt(e, CURLOPT_CAPATH, static_cast<const char*>(nullptr));
  }
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::chrono::milliseconds(request.connect_timeout).count()));
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(request.low_speed_timeout.count()));
  curl_easy_setopt(e, CURLOPT_BUFFERSIZE, kBufferBytes);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, curl_error_.data());
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &DownloadTransfer::header_callback);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, this);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &DownloadTransfer::write_callback);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, this);
  // Our own Range instead of CURLOPT_RESUME_FROM_LARGE: with it libcurl
  // 7.88 fails a 200 answer with CURLE_RANGE_ERROR, and we want to restart.
  if (resumed_from_ > 0) {
    const std::string range = "Range: bytes=" + std::to_string(resumed_from_) + "-";
    headers_ = curl_slist_append(headers_, range.c_str());
    if (headers_ == nullptr) throw std::bad_alloc();
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers_);
  }
}

std::size_t DownloadTransfer::header_callback(char* data, std::size_t size, std::size_t count, void* self) {
  static_cast<DownloadTransfer*>(self)->on_header(std::string_view(data, size * count));
  return size * count;
}

std::size_t DownloadTransfer::write_callback(char* data, std::size_t size, std::size_t count, void* self) {
  return static_cast<DownloadTransfer*>(self)->on_body(data, size * count);
}

// Called for every header line of every response (redirects, 100 Continue):
// a status line starts a new response.
void DownloadTransfer::on_header(std::string_view line) {
  if (starts_with_nocase(line, "http/")) {
    content_range_.reset();
    return;
  }
  if (!starts_with_nocase(line, "content-range:")) return;
  std::string_view value = trim(line.substr(14));
  ContentRange range;
  if (!starts_with_nocase(value, "bytes ")) {
    content_range_ = range;  // present but unusable
    return;
  }
  value = trim(value.substr(6));
  if (take(value, '*')) {
    // "bytes */N": the 416 form
  } else {
    range.first = take_number(value);
    if (!range.first || !take(value, '-') || !take_number(value)) range.first.reset();
  }
  if (take(value, '/')) range.complete = take_number(value);
  content_range_ = range;
}

std::size_t DownloadTransfer::on_body(const char* data, std::size_t size) {
  if (error_) return 0;
  if (!body_started_) {
    body_started_ = true;
    if (begin_body()) return 0;
    if (truncate_ && !discard_body_) {
      // A 200 to our Range: the file must be empty before byte 0 is written
      // (else a crash leaves new bytes before stale ones, which a later
      // resume would trust). Truncating can block: the pool does it while
      // libcurl keeps this chunk.
      truncate_ = false;
      callbacks_.restart_needed();
      return CURL_WRITEFUNC_PAUSE;
    }
  }
  if (redirected_) {
    redirect_body_ += size;
    if (redirect_body_ > kMaxRedirectBody) {
      record(DownloadErrc::too_large, "a redirect with more than " + std::to_string(kMaxRedirectBody) + " bytes of body");
      return 0;
    }
    return size;
  }
  if (discard_body_) return size;
  if (limit_ != 0 && offset_ + size > limit_) {
    record(DownloadErrc::too_large, "more than " + std::to_string(limit_) + " bytes received");
    return 0;
  }
  if (!writer_.error() && !writer_.append(data, size) && !writer_.error()) {
    // Every buffer is on its way to the disk: libcurl keeps this chunk and
    // hands it over again after resume() (callbacks_.room).
    return CURL_WRITEFUNC_PAUSE;
  }
  if (auto ec = writer_.error()) {
    record(DownloadErrc::io_error, "write to the staging file: " + ec.message());
    return 0;
  }
  offset_ += size;
  report_progress(false);
  return size;
}

// The final answer's headers are all in: decide whether its body is the image.
std::error_code DownloadTransfer::begin_body() {
  long status = 0;
  curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &status);
  result_.http_status = status;
  curl_off_t length = -1;
  curl_easy_getinfo(easy_.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);

  if (is_redirect(status)) {
    // Where to is known once the answer is complete (finish()).
    redirected_ = true;
    discard_body_ = true;
    return {};
  }
  if (status == 416 && resumed_from_ > 0) {
    if (already_complete()) {
      discard_body_ = true;
      total_ = resumed_from_;
      return {};
    }
    // What we hold is not a prefix of what the server has: the next attempt
    // must start from zero.
    truncate_ = true;
    return record(DownloadErrc::http_status, "416: the server has fewer bytes than the staging file");
  }
  if (status == 206) {
    if (!content_range_ || content_range_->first != resumed_from_) {
      return record(DownloadErrc::size_mismatch,
                    "206 without a Content-Range starting at byte " + std::to_string(resumed_from_));
    }
    if (content_range_->complete) {
      total_ = content_range_->complete;
    } else if (length >= 0) {
      total_ = resumed_from_ + static_cast<std::uint64_t>(length);
    }
  } else if (status == 200) {
    if (resumed_from_ > 0) {
      result_.restarted = true;
      truncate_ = true;
      offset_ = 0;  // the writer starts again in empty_file() or, for a bodiless answer, at the end
    }
    if (length >= 0) total_ = static_cast<std::uint64_t>(length);
  } else {
    return record(DownloadErrc::http_status, "HTTP status " + std::to_string(status));
  }

  if (total_) {
    if (limit_ != 0 && *total_ > limit_) {
      return record(DownloadErrc::too_large, "the server declares " + std::to_string(*total_) +
                                                 " bytes, the limit is " + std::to_string(limit_));
    }
    if (expected_size_ != 0 && *total_ != expected_size_) {
      return record(DownloadErrc::size_mismatch, "the server declares " + std::to_string(*total_) +
                                                     " bytes, the offer " + std::to_string(expected_size_));
    }
  }
  return {};
}

// A 416 to `bytes=N-` means N is at or past the end: done if N is the size.
bool DownloadTransfer::already_complete() const {
  if (expected_size_ != 0) return resumed_from_ == expected_size_;
  return content_range_ && content_range_->complete == resumed_from_;
}

void DownloadTransfer::follow(UrlPtr url) {
  url_ = std::move(url);
  curl_easy_setopt(easy_.get(), CURLOPT_CURLU, url_.get());
  // A new answer: nothing of the last one carries over but the file (and so
  // the Range, which still starts at resumed_from_: a redirect writes nothing).
  content_range_.reset();
  total_.reset();
  body_started_ = false;
  discard_body_ = false;
  redirected_ = false;
  redirect_body_ = 0;
  result_.http_status = 0;
  curl_error_[0] = '\0';
}

void DownloadTransfer::empty_file(std::function<void(std::error_code)> done) { writer_.restart(std::move(done)); }

std::error_code DownloadTransfer::resume() {
  const CURLcode rc = curl_easy_pause(easy_.get(), CURLPAUSE_CONT);
  if (!error_ && rc != CURLE_OK) record(errc_for_curl(rc, body_started_), curl_easy_strerror(rc));
  return error_;
}

DownloadResult DownloadTransfer::abandon(std::error_code error, std::string detail) {
  if (!error_) {
    error_ = error;
    result_.error_detail = std::move(detail);
  }
  result_.bytes = offset_;
  writer_.abandon();
  return std::move(result_);
}

std::error_code DownloadTransfer::record(DownloadErrc errc, std::string detail) {
  if (!error_) {
    error_ = errc;
    result_.error_detail = std::move(detail);
  }
  return error_;
}

void DownloadTransfer::report_progress(bool force) {
  if (!callbacks_.progress) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_progress_ < kProgressInterval) return;
  last_progress_ = now;
  callbacks_.progress(offset_, total_.value_or(0));
}

DownloadTransfer::Outcome DownloadTransfer::finish(CURLcode rc) {
  if (result_.http_status == 0) curl_easy_getinfo(easy_.get(), CURLINFO_RESPONSE_CODE, &result_.http_status);
  if (!error_ && rc != CURLE_OK) {
    record(errc_for_curl(rc, body_started_), curl_error_[0] != '\0' ? curl_error_.data() : curl_easy_strerror(rc));
  }
  if (!error_ && !body_started_) {
    // A bodiless answer (404 without a page, an empty 200, a 416): the same
    // checks as for a body.
    body_started_ = true;
    (void)begin_body();
  }
  if (!error_ && redirected_) {
    // libcurl fills this in only when a transfer ends with a Location it
    // would have followed.
    char* location = nullptr;
    curl_easy_getinfo(easy_.get(), CURLINFO_REDIRECT_URL, &location);
    if (location == nullptr || *location == '\0') {
      record(DownloadErrc::http_status, "HTTP status " + std::to_string(result_.http_status) + " without a Location");
    } else {
      result_.bytes = offset_;
      return Outcome{{}, false, std::string(location)};
    }
  }
  if (!error_ && !discard_body_) {
    if (total_ && offset_ != *total_) {
      record(DownloadErrc::size_mismatch, std::to_string(offset_) + " bytes, the server declared " +
                                              std::to_string(*total_));
    } else if (expected_size_ != 0 && offset_ != expected_size_) {
      record(DownloadErrc::size_mismatch, std::to_string(offset_) + " bytes, the offer says " +
                                              std::to_string(expected_size_));
    }
  }
  result_.bytes = offset_;
  return Outcome{error_, truncate_, std::nullopt};
}

}  // namespace otagw::transports::curl
