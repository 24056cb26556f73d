#pragma once
// The bytes of a transfer on their way into the staging file and its digest,
// in a pipeline: the loop only copies what libcurl hands it into one of a few
// fixed buffers; the blocking pool, one chunk after another in order, writes
// each chunk at its offset, feeds the digest and starts writeback
// (sync_file_range), waiting for the range a window behind. A chunk goes to
// the pool when its buffer is full, or at once when the pool is idle (a slow
// link: its bytes reach the file as they come). So
// receiving, hashing and writing run at once on two cores, the loop never
// blocks on the disk (a slow flash card throttles the pool, not MQTT), dirty
// pages stay bounded, and the final fsync finds little left to write.
//
// Memory: kChunkCount buffers of kChunkBytes per download, whatever the image.
// When they are all on their way, append() refuses the bytes and the owner
// pauses libcurl (CURL_WRITEFUNC_PAUSE) until on_room runs.
//
// Threading: construct, call and destroy on the loop thread; `on_room` and
// finish()'s handler run there too. Pool jobs hold the shared state, so the
// writer may be destroyed while one is out: it stops writing further chunks
// (abandon), the one in progress completes into the file.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include "transports/asio.hpp"
#include "transports/curl/staging_file.hpp"

namespace otagw::transports::curl {

class StagingWriter {
 public:
  static constexpr std::size_t kChunkBytes = 512 * 1024;
  static constexpr std::size_t kChunkCount = 4;
  // Writeback starts for every this many bytes written.
  static constexpr std::uint64_t kWritebackStep = 2 * 1024 * 1024;
  // Writeback of a range is waited for once the download is this far past
  // it: at most this much of the image is dirty in the page cache (the
  // kernel's own dirty limits may throttle earlier on a small gateway). At
  // 16 MiB the wait stalled the pipeline here: 512 MiB from nginx took
  // 1.07 s against 0.56 s at 64 MiB (curl -o: 0.56-0.59 s).
  static constexpr std::uint64_t kWritebackWindow = 64 * 1024 * 1024;

  // `file` holds `file.size` bytes already fed to `file.digest` (a resume).
  StagingWriter(asio::any_io_executor loop, asio::any_io_executor pool, StagingFile file);
  ~StagingWriter();
  StagingWriter(const StagingWriter&) = delete;
  StagingWriter& operator=(const StagingWriter&) = delete;

  // Called (posted on the loop) after append() refused bytes, once a buffer
  // is free again or an error makes waiting pointless.
  void on_room(std::function<void()> callback);

  // Takes all `size` bytes (true) or none (false: no room now, on_room
  // follows). Not after finish().
  [[nodiscard]] bool append(const char* data, std::size_t size);

  // The first failure of a write, as the loop knows it so far (the pool may
  // have failed a later chunk since: finish() reports it for certain).
  [[nodiscard]] std::error_code error() const noexcept;

  // A 200 answered our Range: the file is emptied and the digest started
  // again, in order after every chunk handed over so far; `done(ec)` on the
  // loop. Bytes appended meanwhile go after the truncation.
  void restart(std::function<void(std::error_code)> done);

  // Hands over the last partial buffer and, once every chunk is written,
  // calls `done(ec, digest_hex)` on the loop (the hex only without error).
  // The file is not fsync'ed here.
  void finish(std::function<void(std::error_code, std::string)> done);

  // Chunks not yet started are dropped (a cancelled download). Idempotent.
  void abandon() noexcept;

  // Bytes handed to the writer, including the resumed prefix.
  [[nodiscard]] std::uint64_t size() const noexcept;
  [[nodiscard]] std::shared_ptr<FileHandle> file_handle() const;

 private:
  struct Shared;
  void submit_current();

  std::shared_ptr<Shared> shared_;
};

}  // namespace otagw::transports::curl
