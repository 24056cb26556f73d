#include "subdev/image_fetcher.hpp"

#include <spdlog/spdlog.h>

#include "subdev/job_plan.hpp"
#include "subdev/registry.hpp"
#include "transports/backoff.hpp"
#include "transports/device_log.hpp"
#include "transports/log_text.hpp"

namespace otagw::subdev {
namespace {

// Errors worth another attempt: the network, the server's 5xx, a stall. Not
// a refused scheme or host (scheme_refused, host_refused): waiting does not
// change the URL.
bool is_transient(std::error_code ec, long http_status) {
  using transports::DownloadErrc;
  if (ec == DownloadErrc::http_status) return http_status >= 500 || http_status == 408 || http_status == 429;
  return ec == DownloadErrc::timed_out || ec == DownloadErrc::connect_failed ||
         ec == DownloadErrc::size_mismatch || ec == DownloadErrc::transfer_failed || ec == DownloadErrc::tls_failed;
}

bool is_expired_url(std::error_code ec, long http_status) {
  return ec == transports::DownloadErrc::http_status && (http_status == 403 || http_status == 404 || http_status == 410);
}

}  // namespace

ImageFetcher::ImageFetcher(asio::any_io_executor loop, asio::any_io_executor blocking_pool, const JobJournal& journal,
                           StagedImages& staged, std::size_t download_slots, DownloadOptions options)
    : loop_(loop),
      journal_(journal),
      staged_(staged),
      options_(std::move(options)),
      downloader_(loop, std::move(blocking_pool)),
      slots_(loop, download_slots),
      stopped_(loop) {}

void ImageFetcher::stop() {
  stopping_ = true;
  slots_.cancel_all();
  downloader_.cancel_all();
  for (auto& [sign, flight] : in_flight_) flight->done.notify_all();
  stopped_.notify_all();
}


asio::awaitable<FetchOutcome> ImageFetcher::fetch(const JobRecord& record, ProgressReporter& progress, Requery requery,
                                                  OnWait on_wait, OnDownloading on_downloading) {
  FetchOutcome outcome;
  std::uint64_t total = 0;
  for (const JobFile& file : record.files) total += file.size;
  std::uint64_t done = 0;
  const auto image_dir = journal_.image_dir(record.device_key);
  std::error_code ignored;
  std::filesystem::create_directories(image_dir, ignored);
  const std::string name = display_name_of_key(record.device_key);

  for (const JobFile& file : record.files) {
    const auto path = image_dir / file.name;
    // Another job is downloading the same bytes: this one waits for it
    // rather than fetching them twice, and holds no slot meanwhile.
    for (;;) {
      const auto it = in_flight_.find(file.sign);
      if (it == in_flight_.end()) break;
      const std::shared_ptr<InFlight> flight = it->second;
      if (on_wait) on_wait("the same image downloaded for another sub-device");
      while (!flight->finished && !stopping_) co_await flight->done.wait();
      if (stopping_) {
        outcome.status = FetchOutcome::Status::interrupted;
        co_return outcome;
      }
      if (!flight->verified) {
        device_log::info(name, record.target_version,
                         "sub-device {}: the shared download of {} failed; downloading it for this job", name,
                         file.name);
      }
      break;
    }
    if (staged_.link_shared(file, path)) {
      device_log::info(name, record.target_version, "sub-device {}: {} already verified for another sub-device",
                       name, file.name);
      outcome.kept.push_back(file.name);
      done += file.size;
      continue;
    }

    if (on_wait && !slots_.available()) on_wait("a download slot");
    transports::AsyncSemaphore::Permit slot = co_await slots_.acquire();
    if (!slot || stopping_) {
      outcome.status = FetchOutcome::Status::interrupted;
      co_return outcome;
    }
    auto flight = std::make_shared<InFlight>(loop_);
    in_flight_.insert_or_assign(file.sign, flight);
    if (on_downloading) on_downloading();
    std::string detail;
    const FetchOutcome::Status status = co_await download_file(file, record, done, total, progress, requery, detail);
    flight->finished = true;
    flight->verified = status == FetchOutcome::Status::complete;
    if (flight->verified) staged_.share_verified(file, path);
    if (const auto it = in_flight_.find(file.sign); it != in_flight_.end() && it->second == flight) in_flight_.erase(it);
    flight->done.notify_all();
    if (status != FetchOutcome::Status::complete) {
      outcome.status = status;
      outcome.detail = std::move(detail);
      outcome.failed_file = file.name;
      co_return outcome;
    }
    done += file.size;
  }
  co_return outcome;
}

asio::awaitable<FetchOutcome::Status> ImageFetcher::download_file(const JobFile& file, const JobRecord& record,
                                                                  std::uint64_t done_before, std::uint64_t total,
                                                                  ProgressReporter& progress, Requery& requery,
                                                                  std::string& detail) {
  transports::Backoff backoff(std::chrono::seconds(1), std::chrono::seconds(30));
  const auto deadline = std::chrono::steady_clock::now() + options_.download_retry_budget;
  std::string url = file.url;
  bool requeried = false;
  const auto staging = journal_.image_dir(record.device_key) / file.name;
  const std::string name = display_name_of_key(record.device_key);
  for (;;) {
    std::error_code none_yet;
    std::uint64_t held = std::filesystem::file_size(staging, none_yet);
    if (none_yet) held = 0;
    transports::DownloadRequest request;
    request.url = url;
    request.file = staging;
    request.expected_size = file.size;
    request.max_bytes = options_.max_image_bytes;
    request.digest = *transports::parse_digest_method(record.sign_method);
    request.ca_file = options_.download_ca_file;
    request.allow_http = options_.allow_http;
    request.allowed_hosts = options_.allowed_download_hosts;
    request.low_speed_timeout = options_.low_speed_timeout;
    request.on_progress = [&progress, done_before, total](std::uint64_t done, std::uint64_t) {
      progress.on_download_progress(done_before + done, total);
    };
    auto [ec, result] = co_await downloader_.async_download(std::move(request), asio::use_awaitable);
    if (!ec) {
      if (ascii_lowercase(result.digest_hex) != file.sign) {
        // The digest of bytes nobody offered stays here: the cloud's desc
        // only says that they did not match.
        device_log::warn(name, record.target_version, "sub-device {}: {} fetched with {} {}, the offer says {}", name,
                         file.name, record.sign_method, result.digest_hex, file.sign);
        detail = file.name + ": " + record.sign_method + " mismatch";
        co_return FetchOutcome::Status::digest_mismatch;
      }
      co_return FetchOutcome::Status::complete;
    }
    detail = ec.message() + (result.http_status ? " (HTTP " + std::to_string(result.http_status) + ")" : "") +
             (result.error_detail.empty() ? "" : ": " + result.error_detail);
    if (stopping_ || ec == transports::DownloadErrc::cancelled) co_return FetchOutcome::Status::interrupted;
    if (is_expired_url(ec, result.http_status) && requery && !requeried) {
      // Signed URLs expire after about a day: ask for the same package again.
      requeried = true;
      device_log::info(name, record.target_version, "sub-device {}: {} refused ({}); asking the cloud for a fresh URL",
                       name, file.name, result.http_status);
      auto fresh = co_await requery();
      if (stopping_) co_return FetchOutcome::Status::interrupted;
      if (fresh && fresh->version == record.target_version && !record.multi_file && !fresh->multi_file &&
          fresh->files.size() == 1 && fresh->files.front().sign == file.sign) {
        url = fresh->files.front().url;
        continue;
      }
      detail += fresh ? "; the cloud now offers " + fresh->version + " instead"
                      : "; the cloud no longer offers it";
      co_return FetchOutcome::Status::failed;
    }
    // An attempt that added bytes found the server up and was cut off (a
    // drop, a stall): the next one comes after the shortest delay again. A
    // back-off doubling across such drops waited up to 30 s after each and
    // spent the retry budget of a download that kept progressing.
    if (result.restarted ? result.bytes > 0 : result.bytes > held) backoff.reset();
    const auto delay = backoff.next();
    if (!is_transient(ec, result.http_status) || std::chrono::steady_clock::now() + delay > deadline) {
      co_return FetchOutcome::Status::failed;
    }
    device_log::info(name, record.target_version, "sub-device {}: download of {} failed ({}); retrying in {:.1f} s",
                     name, file.name, log_text(detail), std::chrono::duration<double>(delay).count());
    // The stop ends the wait: the job is interrupted (journaled, resumed at
    // the next start) within the daemon's drain, not left suspended.
    (void)co_await stopped_.wait_for(delay);
    if (stopping_) co_return FetchOutcome::Status::interrupted;
  }
}

}  // namespace otagw::subdev
