#pragma once
// A counted semaphore for coroutines on one loop, granted in FIFO order: a
// bus (one unit: one plugin call at a time), the download slots. A waiter is
// either granted a unit or, after cancel_all(), refused; never starved by a
// later arrival. Loop thread only.
#include <cstddef>
#include <list>
#include <utility>

#include "transports/asio.hpp"

namespace otagw::transports {

class AsyncSemaphore {
 public:
  // A granted unit; released when destroyed (or release()d). Move-only.
  class Permit {
   public:
    Permit() = default;
    explicit Permit(AsyncSemaphore* owner) : owner_(owner) {}
    Permit(Permit&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
    Permit& operator=(Permit&& other) noexcept {
      if (this != &other) {
        release();
        owner_ = std::exchange(other.owner_, nullptr);
      }
      return *this;
    }
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit() { release(); }

    explicit operator bool() const noexcept { return owner_ != nullptr; }
    void release() noexcept {
      if (auto* owner = std::exchange(owner_, nullptr)) owner->release_one();
    }

   private:
    AsyncSemaphore* owner_ = nullptr;
  };

  AsyncSemaphore(asio::any_io_executor executor, std::size_t units) : executor_(std::move(executor)), units_(units) {}
  AsyncSemaphore(const AsyncSemaphore&) = delete;
  AsyncSemaphore& operator=(const AsyncSemaphore&) = delete;

  // A unit, or an empty permit once cancel_all() was called (the daemon stops).
  asio::awaitable<Permit> acquire() {
    if (cancelled_) co_return Permit{};
    if (available()) {
      ++held_;
      co_return Permit{this};
    }
    Waiter waiter{asio::steady_timer(executor_, asio::steady_timer::time_point::max())};
    const auto it = waiters_.insert(waiters_.end(), &waiter);
    boost::system::error_code ignored;
    co_await waiter.timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (waiter.granted) co_return Permit{this};
    if (!waiter.removed) waiters_.erase(it);
    co_return Permit{};
  }

  // Whether a unit is free for a caller arriving now.
  [[nodiscard]] bool available() const noexcept { return held_ < units_ && waiters_.empty(); }
  [[nodiscard]] std::size_t waiting() const noexcept { return waiters_.size(); }
  [[nodiscard]] std::size_t in_use() const noexcept { return held_; }

  // A reload: the number of units from now on. Permits held beyond a lower
  // count stay valid until released.
  void set_units(std::size_t units) {
    units_ = units;
    grant_waiters();
  }

  // Refuses every waiter and every later acquire().
  void cancel_all() {
    cancelled_ = true;
    for (Waiter* waiter : waiters_) {
      waiter->removed = true;
      waiter->timer.cancel();
    }
    waiters_.clear();
  }

 private:
  struct Waiter {
    asio::steady_timer timer;
    bool granted = false;
    bool removed = false;
  };

  void release_one() {
    --held_;
    grant_waiters();
  }

  void grant_waiters() {
    while (held_ < units_ && !waiters_.empty()) {
      Waiter* next = waiters_.front();
      waiters_.pop_front();
      ++held_;
      next->granted = true;
      next->removed = true;
      next->timer.cancel();
    }
  }

  asio::any_io_executor executor_;
  std::list<Waiter*> waiters_;
  std::size_t units_;
  std::size_t held_ = 0;  // permits outstanding
  bool cancelled_ = false;
};

}  // namespace otagw::transports
