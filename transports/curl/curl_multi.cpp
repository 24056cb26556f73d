#include "transports/curl/curl_multi.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace otagw::transports::curl {
namespace {

// curl_global_init must run once before any handle; since 7.84 it is
// thread-safe, but the static keeps it to one call anyway.
void init_curl_library() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) spdlog::error("curl_global_init failed: {}", curl_easy_strerror(rc));
}

}  // namespace

struct CurlMulti::Watch {
  Watch(asio::any_io_executor loop, int own_fd, curl_socket_t curl_fd)
      : descriptor(std::move(loop), own_fd), fd(curl_fd) {}
  asio::posix::stream_descriptor descriptor;  // our dup of libcurl's socket
  curl_socket_t fd;                           // libcurl's number, for socket_action
  int want = CURL_POLL_NONE;                  // what libcurl asked for last
  bool reading = false;                       // a wait_read is pending
  bool writing = false;                       // a wait_write is pending
  bool removed = false;                       // libcurl is done with this socket
};

std::shared_ptr<CurlMulti> CurlMulti::create(asio::any_io_executor loop) {
  return std::make_shared<CurlMulti>(Private{}, std::move(loop));
}

CurlMulti::CurlMulti(Private, asio::any_io_executor loop) : loop_(std::move(loop)), timer_(loop_) {
  init_curl_library();
  multi_ = curl_multi_init();
  if (multi_ == nullptr) throw std::bad_alloc();
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMulti::socket_callback);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMulti::timer_callback);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

CurlMulti::~CurlMulti() {
  for (auto& [easy, done] : transfers_) curl_multi_remove_handle(multi_, easy);
  transfers_.clear();
  // Cleanup closes cached connections and may call socket_callback: the
  // watches must still exist.
  curl_multi_cleanup(multi_);
  // Closing cancels the pending waits, whose handlers hold the watches.
  for (auto& [fd, watch] : watches_) {
    watch->removed = true;
    boost::system::error_code ignored;
    watch->descriptor.close(ignored);
  }
}

bool CurlMulti::add(CURL* easy, DoneHandler done) {
  // Adding arms the timer (a 0 ms wake-up) rather than running the transfer,
  // so `done` cannot run from in here.
  const CURLMcode rc = curl_multi_add_handle(multi_, easy);
  if (rc != CURLM_OK) {
    spdlog::error("curl_multi_add_handle failed: {}", curl_multi_strerror(rc));
    return false;
  }
  transfers_.emplace(easy, std::move(done));
  return true;
}

void CurlMulti::remove(CURL* easy) {
  if (transfers_.erase(easy) == 0) return;
  curl_multi_remove_handle(multi_, easy);
}

int CurlMulti::socket_callback(CURL*, curl_socket_t fd, int what, void* self, void*) {
  return static_cast<CurlMulti*>(self)->on_socket(fd, what);
}

int CurlMulti::timer_callback(CURLM*, long timeout_ms, void* self) {
  static_cast<CurlMulti*>(self)->on_timer(timeout_ms);
  return 0;
}

int CurlMulti::on_socket(curl_socket_t fd, int what) {
  auto it = watches_.find(fd);
  if (what == CURL_POLL_REMOVE) {
    // libcurl says so before it closes the socket; our dup goes now.
    if (it == watches_.end()) return 0;
    it->second->removed = true;
    boost::system::error_code ignored;
    it->second->descriptor.close(ignored);
    watches_.erase(it);
    return 0;
  }
  if (it == watches_.end()) {
    const int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (own < 0) {
      spdlog::error("download: cannot duplicate socket {}: {}", fd, std::strerror(errno));
      return -1;  // libcurl fails the transfers on this socket
    }
    it = watches_.emplace(fd, std::make_shared<Watch>(loop_, own, fd)).first;
  }
  it->second->want = what;
  arm(it->second);
  return 0;
}

void CurlMulti::on_timer(long timeout_ms) {
  if (timeout_ms < 0) {
    timer_.cancel();
    return;
  }
  // libcurl forbids socket_action from inside this callback: even a 0 ms
  // time-out goes through the timer.
  timer_.expires_after(std::chrono::milliseconds(timeout_ms));
  timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    if (auto self = weak.lock()) self->act(CURL_SOCKET_TIMEOUT, 0);
  });
}

void CurlMulti::arm(const std::shared_ptr<Watch>& watch) {
  if ((watch->want & CURL_POLL_IN) != 0 && !watch->reading) wait(watch, true);
  if ((watch->want & CURL_POLL_OUT) != 0 && !watch->writing) wait(watch, false);
  // A wait for a direction libcurl no longer wants is left pending: when it
  // fires it is ignored (see wait), which is cheaper than cancelling both.
}

void CurlMulti::wait(const std::shared_ptr<Watch>& watch, bool for_read) {
  (for_read ? watch->reading : watch->writing) = true;
  // A non-speculative wait re-arms the descriptor in epoll, so a socket
  // libcurl left readable (it reads one buffer per call) wakes us again.
  watch->descriptor.async_wait(
      for_read ? asio::posix::descriptor_base::wait_read : asio::posix::descriptor_base::wait_write,
      [weak = weak_from_this(), watch, for_read](boost::system::error_code ec) {
        (for_read ? watch->reading : watch->writing) = false;
        auto self = weak.lock();
        if (!self || watch->removed || ec == asio::error::operation_aborted) return;
        const int direction = for_read ? CURL_POLL_IN : CURL_POLL_OUT;
        if ((watch->want & direction) == 0) return;
        int events = for_read ? CURL_CSELECT_IN : CURL_CSELECT_OUT;
        if (ec) events |= CURL_CSELECT_ERR;
        self->act(watch->fd, events);
        if (!watch->removed) self->arm(watch);
      });
}

void CurlMulti::act(curl_socket_t fd, int events) {
  auto keep_alive = shared_from_this();  // a done handler may drop the owner's reference
  int running = 0;
  const CURLMcode rc = curl_multi_socket_action(multi_, fd, events, &running);
  if (rc != CURLM_OK) spdlog::error("curl_multi_socket_action failed: {}", curl_multi_strerror(rc));
  finish_done_transfers();
}

void CurlMulti::finish_done_transfers() {
  // Collect first: removing a handle invalidates libcurl's messages.
  std::vector<std::pair<CURL*, CURLcode>> finished;
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
    if (message->msg == CURLMSG_DONE) finished.emplace_back(message->easy_handle, message->data.result);
  }
  for (const auto& [easy, result] : finished) {
    auto it = transfers_.find(easy);
    if (it == transfers_.end()) continue;
    DoneHandler done = std::move(it->second);
    transfers_.erase(it);
    curl_multi_remove_handle(multi_, easy);
    done(result);
  }
}

}  // namespace otagw::transports::curl
