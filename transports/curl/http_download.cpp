// HttpDownloader (see http_download.hpp): each download is an Operation that
// moves loop (check the URL) -> pool (open and re-hash the staging file) ->
// libcurl on the loop (the transfer; its body is written and hashed on the
// pool by the StagingWriter meanwhile, which also empties the file if a 200
// answers our Range; a redirect is checked here and the same transfer sent
// on) -> the writer's last chunk and digest -> pool (fsync) -> completion.
// Callback-based like the other C-library adapters; every step checks
// `finished` because cancel_all() may have completed the operation while a
// pool job was out.
#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <new>
#include <set>

#include "transports/curl/curl_multi.hpp"
#include "transports/curl/download_transfer.hpp"
#include "transports/curl/download_url.hpp"
#include "transports/curl/staging_file.hpp"
#include "transports/http_download.hpp"

namespace otagw::transports {
namespace {

using curl::CurlMulti;
using curl::DownloadTransfer;
using curl::StagingFile;
using curl::StagingWriter;
using curl::UrlPtr;

// As CURLOPT_MAXREDIRS was when libcurl followed them.
constexpr int kMaxRedirects = 5;

Expected<UrlPtr> check_url(std::string_view url, const DownloadRequest& request) {
  return curl::checked_url(url, request.allow_http, request.allowed_hosts);
}

// Runs `work` on the pool, then `then(result)` on the loop.
template <typename Work, typename Then>
void on_pool(const asio::any_io_executor& pool, asio::any_io_executor loop, Work work, Then then) {
  asio::post(pool, [loop = std::move(loop), work = std::move(work), then = std::move(then)]() mutable {
    auto result = work();
    asio::post(loop, [then = std::move(then), result = std::move(result)]() mutable { then(std::move(result)); });
  });
}

struct Operation {
  Operation(DownloadRequest r, Completion<void(std::error_code, DownloadResult)> d)
      : request(std::move(r)), done(std::move(d)) {}
  DownloadRequest request;
  Completion<void(std::error_code, DownloadResult)> done;
  std::unique_ptr<DownloadTransfer> transfer;  // while libcurl has the transfer
  UrlPtr url;                                  // checked, until the transfer takes it
  int redirects = 0;                           // followed so far
  bool finished = false;
};

using OperationPtr = std::shared_ptr<Operation>;

}  // namespace

class HttpDownloader::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::any_io_executor loop, asio::any_io_executor pool)
      : loop_(std::move(loop)), pool_(std::move(pool)), multi_(CurlMulti::create(loop_)) {}

  [[nodiscard]] const asio::any_io_executor& executor() const noexcept { return loop_; }

  void start(DownloadRequest request, Completion<void(std::error_code, DownloadResult)> done) {
    auto op = std::make_shared<Operation>(std::move(request), std::move(done));
    operations_.insert(op);
    // Before anything touches the disk or the network.
    auto url = check_url(op->request.url, op->request);
    if (!url) return fail(op, url.error());
    op->url = std::move(*url);
    spdlog::debug("download: {} -> {}", op->request.url, op->request.file.string());
    on_pool(
        pool_, loop_,
        [file = op->request.file, method = op->request.digest, limit = curl::size_limit(op->request)] {
          return curl::open_staging_file(file, method, limit);
        },
        [weak = weak_from_this(), op](Expected<StagingFile> staged) {
          if (auto self = weak.lock(); self && !op->finished) self->begin_transfer(op, std::move(staged));
        });
  }

  void cancel_all() {
    auto operations = std::move(operations_);
    operations_.clear();
    for (const auto& op : operations) {
      DownloadResult result;
      if (op->transfer) result = end_transfer(op, DownloadErrc::cancelled, "cancelled");
      finish(op, DownloadErrc::cancelled, std::move(result));
    }
  }

 private:
  void begin_transfer(const OperationPtr& op, Expected<StagingFile> staged) {
    if (!staged) {
      DownloadResult result;
      result.error_detail = staged.error().message();
      return finish(op, DownloadErrc::io_error, std::move(result));
    }
    if (staged->size > 0) spdlog::debug("download: resuming at byte {}", staged->size);
    DownloadTransfer::Callbacks callbacks;
    // restart_needed and progress run inside libcurl's write callback: post,
    // never re-enter libcurl. room is posted already.
    callbacks.restart_needed = [weak = weak_from_this(), op] {
      if (auto self = weak.lock()) self->empty_file_then_resume(op);
    };
    callbacks.room = [weak = weak_from_this(), op] {
      auto self = weak.lock();
      if (!self || op->finished || !op->transfer) return;
      if (auto error = op->transfer->resume()) self->abort(op, error, {});
    };
    callbacks.progress = [loop = loop_, op](std::uint64_t done, std::uint64_t total) {
      asio::post(loop, [op, done, total] {
        if (!op->finished && op->request.on_progress) op->request.on_progress(done, total);
      });
    };
    op->transfer = std::make_unique<DownloadTransfer>(op->request, std::move(op->url), std::move(*staged), loop_,
                                                      pool_, std::move(callbacks));
    send(op);
  }

  // Hands the transfer (a new one, or one sent on to a redirect) to libcurl.
  void send(const OperationPtr& op) {
    const bool added = multi_->add(op->transfer->easy(), [weak = weak_from_this(), op](CURLcode rc) {
      if (auto self = weak.lock(); self && !op->finished) self->transfer_done(op, rc);
    });
    if (!added) finish(op, DownloadErrc::transfer_failed, drop_transfer(op, DownloadErrc::transfer_failed,
                                                                         "libcurl refused the transfer"));
  }

  // The answer was a redirect: its URL gets the same checks as the first
  // one, before anything connects to it.
  void follow_redirect(const OperationPtr& op, const std::string& location) {
    if (op->redirects >= kMaxRedirects) {
      const std::string detail = "more than " + std::to_string(kMaxRedirects) + " redirects";
      return finish(op, DownloadErrc::http_status, drop_transfer(op, DownloadErrc::http_status, detail));
    }
    auto url = check_url(location, op->request);
    if (!url) {
      const Error& error = url.error();
      return finish(op, error.code, drop_transfer(op, error.code, "redirect refused: " + error.context));
    }
    ++op->redirects;
    spdlog::debug("download: redirect {} of at most {}", op->redirects, kMaxRedirects);
    op->transfer->follow(std::move(*url));
    send(op);
  }

  // A 200 answered our Range: libcurl holds the first chunk while the pool
  // empties the file.
  void empty_file_then_resume(const OperationPtr& op) {
    spdlog::info("download: the server ignored our Range, starting again from byte 0");
    asio::post(loop_, [weak = weak_from_this(), op] {
      auto self = weak.lock();
      if (!self || op->finished || !op->transfer) return;
      op->transfer->empty_file([weak, op](std::error_code ec) {
        auto owner = weak.lock();
        if (!owner || op->finished || !op->transfer) return;
        if (ec) return owner->abort(op, DownloadErrc::io_error, "truncate the staging file: " + ec.message());
        if (auto error = op->transfer->resume()) owner->abort(op, error, {});
      });
    });
  }

  // libcurl is done with the transfer; the writer may still have chunks on
  // their way: the verdict waits for the last one (and its digest), then the
  // fsync on the pool.
  void transfer_done(const OperationPtr& op, CURLcode rc) {
    auto outcome = op->transfer->finish(rc);
    if (outcome.redirect) return follow_redirect(op, *outcome.redirect);
    StagingWriter& writer = op->transfer->writer();
    auto truncate_error = std::make_shared<std::error_code>();
    if (outcome.truncate_file) {
      // A stale prefix (a 416 that does not fit, a bodiless 200 to our
      // Range): emptied, and the digest with it, before the verdict.
      writer.restart([truncate_error](std::error_code ec) { *truncate_error = ec; });
    }
    writer.finish([weak = weak_from_this(), op, outcome, truncate_error](std::error_code written,
                                                                         std::string digest_hex) mutable {
      auto self = weak.lock();
      if (!self || op->finished || !op->transfer) return;
      self->written(op, std::move(outcome), *truncate_error, written, std::move(digest_hex));
    });
  }

  void written(const OperationPtr& op, DownloadTransfer::Outcome outcome, std::error_code truncate_error,
               std::error_code written, std::string digest_hex) {
    DownloadResult result = std::move(op->transfer->result());
    auto handle = op->transfer->file_handle();
    const std::uint64_t total = op->transfer->total();
    op->transfer.reset();
    if (!outcome.error && written) {
      outcome.error = DownloadErrc::io_error;
      result.error_detail = "write to the staging file: " + written.message();
    }
    if (!outcome.error && truncate_error) {
      outcome.error = DownloadErrc::io_error;
      result.error_detail = "truncate the staging file: " + truncate_error.message();
    }
    if (outcome.error) {
      if (truncate_error) spdlog::warn("download: cannot empty the staging file: {}", truncate_error.message());
      return finish(op, outcome.error, std::move(result));
    }
    result.digest_hex = std::move(digest_hex);
    on_pool(
        pool_, loop_, [handle] { return curl::sync_file(handle->get()); },
        [weak = weak_from_this(), op, total, result = std::move(result)](std::error_code ec) mutable {
          auto self = weak.lock();
          if (!self || op->finished) return;
          if (ec) {
            result.error_detail = "fsync the staging file: " + ec.message();
            return self->finish(op, DownloadErrc::io_error, std::move(result));
          }
          if (op->request.on_progress) {
            asio::post(self->loop_, [op, done = result.bytes, total = total != 0 ? total : result.bytes] {
              op->request.on_progress(done, total);
            });
          }
          self->finish(op, {}, std::move(result));
        });
  }

  // Ends a transfer libcurl still has (cancel, a failed restart).
  DownloadResult end_transfer(const OperationPtr& op, std::error_code ec, std::string detail) {
    multi_->remove(op->transfer->easy());
    DownloadResult result = op->transfer->abandon(ec, std::move(detail));
    op->transfer.reset();
    return result;
  }

  // Ends a transfer libcurl no longer has (it completed).
  DownloadResult drop_transfer(const OperationPtr& op, std::error_code ec, std::string detail) {
    DownloadResult result = op->transfer->abandon(ec, std::move(detail));
    op->transfer.reset();
    return result;
  }

  void fail(const OperationPtr& op, const Error& error) {
    DownloadResult result;
    result.error_detail = error.context;
    finish(op, error.code, std::move(result));
  }

  void abort(const OperationPtr& op, std::error_code ec, std::string detail) {
    finish(op, ec, end_transfer(op, ec, std::move(detail)));
  }

  void finish(const OperationPtr& op, std::error_code ec, DownloadResult result) {
    if (op->finished) return;
    op->finished = true;
    operations_.erase(op);
    if (ec) {
      spdlog::debug("download failed: {}: {}", ec.message(), result.error_detail);
    } else {
      spdlog::debug("download done: {} bytes, {} {}", result.bytes, to_string(op->request.digest), result.digest_hex);
    }
    op->done.complete(ec, std::move(result));
  }

  asio::any_io_executor loop_;
  asio::any_io_executor pool_;
  std::shared_ptr<CurlMulti> multi_;
  std::set<OperationPtr> operations_;
};

HttpDownloader::HttpDownloader(asio::any_io_executor loop, asio::any_io_executor blocking_pool)
    : impl_(std::make_shared<Impl>(std::move(loop), std::move(blocking_pool))) {}

HttpDownloader::~HttpDownloader() { impl_->cancel_all(); }

void HttpDownloader::cancel_all() { impl_->cancel_all(); }

asio::any_io_executor HttpDownloader::executor() const { return impl_->executor(); }

void HttpDownloader::start_download(DownloadRequest request, Completion<void(std::error_code, DownloadResult)> done) {
  impl_->start(std::move(request), std::move(done));
}

}  // namespace otagw::transports
