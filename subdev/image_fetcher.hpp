#pragma once
// Fetching a job's images: each file of the package into the job's image
// directory, verified against the offer's digest while it streams.
//
// - A file whose digest another job has verified is linked from the shared
//   images (hashed again before the flash, as every kept file).
// - A file another job is downloading right now (same digest) is waited for,
//   then linked; if that download fails, this job downloads it itself.
// - A download takes one of ota.max_parallel_downloads slots while it runs,
//   resumes from the bytes on disk (Range), is retried with back-off within
//   ota.download_retry_s, and asks the cloud once for a fresh URL when the
//   signed one has expired (HTTP 403/404/410).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "subdev/firmware_offer.hpp"
#include "subdev/job_journal.hpp"
#include "subdev/progress_reporter.hpp"
#include "subdev/staged_images.hpp"
#include "transports/async_semaphore.hpp"
#include "transports/async_signal.hpp"
#include "transports/http_download.hpp"

namespace otagw::subdev {

struct DownloadOptions {
  bool allow_http = false;
  std::string download_ca_file;                             // "" = system trust store
  std::vector<config::HostPattern> allowed_download_hosts;  // empty = any host
  std::uint64_t max_image_bytes = 536870912;
  std::chrono::seconds low_speed_timeout{30};
  std::chrono::seconds download_retry_budget{300};
};

struct FetchOutcome {
  enum class Status { complete, digest_mismatch, failed, interrupted };
  Status status = Status::complete;
  std::string detail;                 // why not complete (for the log and the cloud's desc)
  std::string failed_file;            // which file
  std::vector<std::string> kept;      // files linked rather than streamed now: hashed again before the flash
};

class ImageFetcher {
 public:
  // Asks the cloud again for the module's offer (through the OTA channel's
  // queue), for a download whose signed URL has expired.
  using Requery = std::function<asio::awaitable<std::optional<FirmwareOffer>>()>;
  // Called when a file waits: for a download slot or another job's download.
  using OnWait = std::function<void(const std::string& what)>;
  using OnDownloading = std::function<void()>;

  ImageFetcher(asio::any_io_executor loop, asio::any_io_executor blocking_pool, const JobJournal& journal,
               StagedImages& staged, std::size_t download_slots, DownloadOptions options);

  asio::awaitable<FetchOutcome> fetch(const JobRecord& record, ProgressReporter& progress, Requery requery,
                                      OnWait on_wait, OnDownloading on_downloading);

  void set_options(DownloadOptions options) { options_ = std::move(options); }
  void set_download_slots(std::size_t slots) { slots_.set_units(slots); }

  // Downloads stop (their bytes stay for a resume); waits end.
  void stop();

 private:
  // A download of one digest in flight: later jobs of the digest wait for it.
  struct InFlight {
    explicit InFlight(asio::any_io_executor loop) : done(std::move(loop)) {}
    transports::AsyncSignal done;
    bool finished = false;
    bool verified = false;
  };

  asio::awaitable<FetchOutcome::Status> download_file(const JobFile& file, const JobRecord& record,
                                                      std::uint64_t done_before, std::uint64_t total,
                                                      ProgressReporter& progress, Requery& requery,
                                                      std::string& detail);

  asio::any_io_executor loop_;
  const JobJournal& journal_;
  StagedImages& staged_;
  DownloadOptions options_;
  transports::HttpDownloader downloader_;
  transports::AsyncSemaphore slots_;
  std::map<std::string, std::shared_ptr<InFlight>> in_flight_;  // by digest
  bool stopping_ = false;
  transports::AsyncSignal stopped_;  // wakes retry back-offs at the stop
};

}  // namespace otagw::subdev
