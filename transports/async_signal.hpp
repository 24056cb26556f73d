#pragma once
// Wakes every coroutine waiting on it: "something changed, look again" (a job
// ended, staging space was freed). Carries no value, so a waiter always
// re-checks its condition after waking; a notify with nobody waiting is lost,
// which is why waiters check before they wait. Loop thread only.
#include <chrono>
#include <list>

#include "transports/asio.hpp"

namespace otagw::transports {

class AsyncSignal {
 public:
  explicit AsyncSignal(asio::any_io_executor executor) : executor_(std::move(executor)) {}
  AsyncSignal(const AsyncSignal&) = delete;
  AsyncSignal& operator=(const AsyncSignal&) = delete;

  // Until the next notify_all() or `timeout`; true when notified.
  asio::awaitable<bool> wait_for(std::chrono::steady_clock::duration timeout) {
    asio::steady_timer timer(executor_, timeout);
    Waiter waiter{&timer};
    const auto it = waiters_.insert(waiters_.end(), &waiter);
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (!waiter.notified) waiters_.erase(it);
    co_return waiter.notified;
  }

  asio::awaitable<void> wait() {
    (void)co_await wait_for(std::chrono::hours(24 * 365));
  }

  void notify_all() {
    for (Waiter* waiter : waiters_) {
      waiter->notified = true;
      waiter->timer->cancel();
    }
    waiters_.clear();
  }

 private:
  struct Waiter {
    asio::steady_timer* timer;
    bool notified = false;
  };

  asio::any_io_executor executor_;
  std::list<Waiter*> waiters_;
};

}  // namespace otagw::transports
