#pragma once
// Wakes every coroutine waiting on it: "something changed, look again" (a job
// ended, staging space was freed). Carries no value, so a waiter always
// re-checks its condition after waking; a notify with nobody waiting is lost,
// which is why waiters check before they wait. Loop thread only.
//
// A waiter whose frame is destroyed while suspended (with the loop, at the
// daemon's stop, after the signal's owner or before it) leaves the list, and
// the list is reached only while the signal lives.
#include <chrono>
#include <list>
#include <memory>

#include "transports/asio.hpp"

namespace otagw::transports {

class AsyncSignal {
 public:
  explicit AsyncSignal(asio::any_io_executor executor)
      : executor_(std::move(executor)), waiters_(std::make_shared<std::list<Waiter*>>()) {}
  AsyncSignal(const AsyncSignal&) = delete;
  AsyncSignal& operator=(const AsyncSignal&) = delete;

  // Until the next notify_all() or `timeout`; true when notified.
  asio::awaitable<bool> wait_for(std::chrono::steady_clock::duration timeout) {
    asio::steady_timer timer(executor_, timeout);
    Waiter waiter{&timer};
    waiters_->push_back(&waiter);
    const ListSeat seat{waiters_, std::prev(waiters_->end()), &waiter};
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    co_return waiter.notified;
  }

  asio::awaitable<void> wait() {
    (void)co_await wait_for(std::chrono::hours(24 * 365));
  }

  void notify_all() {
    for (Waiter* waiter : *waiters_) {
      waiter->notified = true;
      waiter->timer->cancel();
    }
    waiters_->clear();
  }

 private:
  struct Waiter {
    asio::steady_timer* timer;
    bool notified = false;
  };

  using Waiters = std::list<Waiter*>;
  // Leaves the list when the waiting frame ends, however it ends.
  struct ListSeat {
    std::weak_ptr<Waiters> list;
    Waiters::iterator position;
    Waiter* waiter;
    ListSeat(std::weak_ptr<Waiters> l, Waiters::iterator p, Waiter* w) : list(std::move(l)), position(p), waiter(w) {}
    ListSeat(const ListSeat&) = delete;
    ListSeat& operator=(const ListSeat&) = delete;
    ~ListSeat() {
      if (waiter->notified) return;  // notify_all took it off
      if (auto waiters = list.lock()) waiters->erase(position);
    }
  };

  asio::any_io_executor executor_;
  std::shared_ptr<Waiters> waiters_;
};

}  // namespace otagw::transports
