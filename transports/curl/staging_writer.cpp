#include "transports/curl/staging_writer.hpp"

#include <fcntl.h>

#include <array>
#include <atomic>
#include <cstring>
#include <vector>

namespace otagw::transports::curl {
namespace {

// Starts writeback of what was just written; the kernel does it while the
// next chunks arrive. An optimisation only: a file system without it
// (EINVAL, ESPIPE) is still made durable by the final fsync.
void start_writeback(int fd, std::uint64_t offset, std::uint64_t length) {
  (void)::sync_file_range(fd, static_cast<off64_t>(offset), static_cast<off64_t>(length), SYNC_FILE_RANGE_WRITE);
}

// Waits until [offset, offset + length) is on its way to the disk and
// written: bounds the dirty pages of a download, and so how long the final
// fsync and the kernel's own dirty throttling can take. Errors show again at
// the fsync.
void wait_for_writeback(int fd, std::uint64_t offset, std::uint64_t length) {
  (void)::sync_file_range(fd, static_cast<off64_t>(offset), static_cast<off64_t>(length),
                          SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
}

constexpr std::size_t kNoBuffer = static_cast<std::size_t>(-1);

}  // namespace

struct StagingWriter::Shared {
  Shared(asio::any_io_executor loop_executor, asio::any_io_executor pool, StagingFile file)
      : loop(std::move(loop_executor)),
        strand(asio::make_strand(std::move(pool))),
        handle(std::move(file.handle)),
        appended(file.size),
        digest(std::move(file.digest)),
        started_until(file.size),
        waited_until(file.size) {
    for (std::size_t i = 0; i < kChunkCount; ++i) {
      buffers[i] = std::make_unique<char[]>(kChunkBytes);
      free_buffers.push_back(i);
    }
  }

  asio::any_io_executor loop;
  // Pool jobs of this file, one at a time and in order: chunks, restart, finish.
  asio::strand<asio::any_io_executor> strand;
  std::shared_ptr<FileHandle> handle;
  std::array<std::unique_ptr<char[]>, kChunkCount> buffers;
  std::atomic<bool> abandoned{false};

  // Loop side.
  std::vector<std::size_t> free_buffers;
  std::size_t current = kNoBuffer;  // the buffer being filled
  std::size_t fill = 0;             // bytes in it
  std::uint64_t appended;           // bytes handed to the writer, prefix included
  std::size_t in_flight = 0;        // chunks handed to the pool, not yet back
  std::error_code loop_error;
  bool waiting_for_room = false;
  std::function<void()> on_room;

  // Pool side (the strand).
  Digest digest;
  std::error_code pool_error;
  std::uint64_t started_until;  // writeback started up to here
  std::uint64_t waited_until;   // writeback waited for up to here

  // On the strand: one full (or last) buffer into the file and the digest.
  std::error_code write_chunk(std::size_t buffer, std::uint64_t offset, std::size_t length) {
    if (pool_error) return pool_error;
    if (abandoned.load(std::memory_order_relaxed)) return std::make_error_code(std::errc::operation_canceled);
    const char* data = buffers[buffer].get();
    if (auto ec = write_at(handle->get(), data, length, offset)) {
      pool_error = ec;
      return ec;
    }
    digest.update(data, length);
    // In steps, not per chunk: a slow link writes small chunks, and many
    // small writebacks wear a flash card.
    const std::uint64_t end = offset + length;
    if (end >= started_until + kWritebackStep) {
      start_writeback(handle->get(), started_until, end - started_until);
      started_until = end;
    }
    if (end > waited_until + kWritebackWindow) {
      const std::uint64_t upto = end - kWritebackWindow;
      wait_for_writeback(handle->get(), waited_until, upto - waited_until);
      waited_until = upto;
    }
    return {};
  }

  // On the loop: the buffer is free again.
  static void chunk_written(const std::shared_ptr<Shared>& self, std::size_t buffer, std::error_code ec) {
    self->free_buffers.push_back(buffer);
    --self->in_flight;
    if (ec && !self->loop_error && ec != std::errc::operation_canceled) self->loop_error = ec;
    if (!self->waiting_for_room) return;
    self->waiting_for_room = false;
    // Posted: the callback resumes libcurl, which calls append() again.
    asio::post(self->loop, [self] {
      if (self->on_room) self->on_room();
    });
  }
};

StagingWriter::StagingWriter(asio::any_io_executor loop, asio::any_io_executor pool, StagingFile file)
    : shared_(std::make_shared<Shared>(std::move(loop), std::move(pool), std::move(file))) {}

StagingWriter::~StagingWriter() {
  abandon();
  shared_->on_room = nullptr;
}

void StagingWriter::on_room(std::function<void()> callback) { shared_->on_room = std::move(callback); }

bool StagingWriter::append(const char* data, std::size_t size) {
  Shared& s = *shared_;
  const std::size_t room = (s.current != kNoBuffer ? kChunkBytes - s.fill : 0) + s.free_buffers.size() * kChunkBytes;
  if (size > room) {
    if (size > kChunkBytes * kChunkCount) {
      // Could never fit: libcurl hands over at most CURLOPT_BUFFERSIZE.
      if (!s.loop_error) s.loop_error = std::make_error_code(std::errc::message_size);
      return false;
    }
    s.waiting_for_room = true;
    return false;
  }
  while (size > 0) {
    if (s.current == kNoBuffer) {
      s.current = s.free_buffers.back();
      s.free_buffers.pop_back();
    }
    const std::size_t n = std::min(size, kChunkBytes - s.fill);
    std::memcpy(s.buffers[s.current].get() + s.fill, data, n);
    s.fill += n;
    s.appended += n;
    data += n;
    size -= n;
    if (s.fill == kChunkBytes) submit_current();
  }
  // Nothing on its way: the pool keeps up, so the bytes go now rather than
  // wait for a full buffer (a slow link's bytes reach the file, and survive
  // a crash, as they come). When it falls behind, buffers fill and the
  // chunks grow.
  if (s.in_flight == 0) submit_current();
  return true;
}

void StagingWriter::submit_current() {
  Shared& s = *shared_;
  if (s.current == kNoBuffer) return;
  const std::size_t buffer = s.current;
  const std::size_t length = s.fill;
  const std::uint64_t offset = s.appended - length;
  s.current = kNoBuffer;
  s.fill = 0;
  ++s.in_flight;
  asio::post(s.strand, [shared = shared_, buffer, offset, length] {
    const std::error_code ec = shared->write_chunk(buffer, offset, length);
    asio::post(shared->loop, [shared, buffer, ec] { Shared::chunk_written(shared, buffer, ec); });
  });
}

std::error_code StagingWriter::error() const noexcept { return shared_->loop_error; }

void StagingWriter::restart(std::function<void(std::error_code)> done) {
  Shared& s = *shared_;
  if (s.current != kNoBuffer) {
    s.free_buffers.push_back(s.current);
    s.current = kNoBuffer;
    s.fill = 0;
  }
  s.appended = 0;
  asio::post(s.strand, [shared = shared_, done = std::move(done)]() mutable {
    std::error_code ec = truncate_to_zero(shared->handle->get());
    shared->digest.reset();
    shared->started_until = 0;
    shared->waited_until = 0;
    if (!ec) shared->pool_error.clear();
    asio::post(shared->loop, [done = std::move(done), ec] { done(ec); });
  });
}

void StagingWriter::finish(std::function<void(std::error_code, std::string)> done) {
  submit_current();
  asio::post(shared_->strand, [shared = shared_, done = std::move(done)]() mutable {
    const std::error_code ec = shared->pool_error;
    std::string hex = ec ? std::string() : shared->digest.finish_hex();
    asio::post(shared->loop, [done = std::move(done), ec, hex = std::move(hex)]() mutable { done(ec, std::move(hex)); });
  });
}

void StagingWriter::abandon() noexcept { shared_->abandoned.store(true, std::memory_order_relaxed); }

std::uint64_t StagingWriter::size() const noexcept { return shared_->appended; }

std::shared_ptr<FileHandle> StagingWriter::file_handle() const { return shared_->handle; }

}  // namespace otagw::transports::curl
