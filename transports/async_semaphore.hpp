#pragma once
// A counted semaphore for coroutines on one loop, granted in FIFO order: a
// bus (one unit: one plugin call at a time), the download slots. A waiter is
// either granted a unit or, after cancel_all(), refused; never starved by a
// later arrival. Loop thread only.
//
// Lifetimes: a frame still suspended when the daemon stops (a back-off, a
// plugin call) is destroyed with the loop, after the semaphore's owner. So
// permits and waiters refer to the semaphore's state weakly: a permit
// released after the semaphore is gone does nothing, and a waiter whose frame
// is destroyed leaves the queue, so no grant ever reaches a freed frame.
#include <cstddef>
#include <list>
#include <memory>
#include <utility>

#include "transports/asio.hpp"

namespace otagw::transports {

class AsyncSemaphore {
  struct Waiter {
    asio::steady_timer timer;
    bool granted = false;
    bool removed = false;  // no longer in the queue (granted or refused)
  };
  struct State {
    std::list<Waiter*> waiters;
    std::size_t units;
    std::size_t held = 0;  // permits outstanding
    bool cancelled = false;

    void release_one() {
      --held;
      grant_waiters();
    }
    void grant_waiters() {
      while (held < units && !waiters.empty()) {
        Waiter* next = waiters.front();
        waiters.pop_front();
        ++held;
        next->granted = true;
        next->removed = true;
        next->timer.cancel();
      }
    }
  };

 public:
  // A granted unit; released when destroyed (or release()d). Move-only.
  class Permit {
   public:
    Permit() = default;
    Permit(Permit&& other) noexcept
        : state_(std::exchange(other.state_, {})), granted_(std::exchange(other.granted_, false)) {}
    Permit& operator=(Permit&& other) noexcept {
      if (this != &other) {
        release();
        state_ = std::exchange(other.state_, {});
        granted_ = std::exchange(other.granted_, false);
      }
      return *this;
    }
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit() { release(); }

    explicit operator bool() const noexcept { return granted_ && !state_.expired(); }
    void release() noexcept {
      if (!std::exchange(granted_, false)) return;
      if (auto state = state_.lock()) state->release_one();
      state_.reset();
    }

   private:
    friend class AsyncSemaphore;
    explicit Permit(std::weak_ptr<State> state) : state_(std::move(state)), granted_(true) {}
    std::weak_ptr<State> state_;
    bool granted_ = false;
  };

  AsyncSemaphore(asio::any_io_executor executor, std::size_t units)
      : executor_(std::move(executor)), state_(std::make_shared<State>()) {
    state_->units = units;
  }
  AsyncSemaphore(const AsyncSemaphore&) = delete;
  AsyncSemaphore& operator=(const AsyncSemaphore&) = delete;

  // A unit, or an empty permit once cancel_all() was called (the daemon stops).
  asio::awaitable<Permit> acquire() {
    if (state_->cancelled) co_return Permit{};
    if (available()) {
      ++state_->held;
      co_return Permit{state_};
    }
    Waiter waiter{asio::steady_timer(executor_, asio::steady_timer::time_point::max())};
    const std::weak_ptr<State> weak = state_;
    state_->waiters.push_back(&waiter);
    QueueSeat seat{weak, std::prev(state_->waiters.end()), &waiter};
    boost::system::error_code ignored;
    co_await waiter.timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    if (!waiter.granted) co_return Permit{};
    waiter.granted = false;  // the permit holds the unit now
    co_return Permit{weak};
  }

  // Whether a unit is free for a caller arriving now.
  [[nodiscard]] bool available() const noexcept { return state_->held < state_->units && state_->waiters.empty(); }
  [[nodiscard]] std::size_t waiting() const noexcept { return state_->waiters.size(); }
  [[nodiscard]] std::size_t in_use() const noexcept { return state_->held; }

  // A reload: the number of units from now on. Permits held beyond a lower
  // count stay valid until released.
  void set_units(std::size_t units) {
    state_->units = units;
    state_->grant_waiters();
  }

  // Refuses every waiter and every later acquire().
  void cancel_all() {
    state_->cancelled = true;
    for (Waiter* waiter : state_->waiters) {
      waiter->removed = true;
      waiter->timer.cancel();
    }
    state_->waiters.clear();
  }

 private:
  // A waiter's place in the queue, left when its frame ends however it ends
  // (resumed, or destroyed while suspended).
  struct QueueSeat {
    std::weak_ptr<State> state;
    std::list<Waiter*>::iterator position;
    Waiter* waiter;
    QueueSeat(std::weak_ptr<State> s, std::list<Waiter*>::iterator p, Waiter* w)
        : state(std::move(s)), position(p), waiter(w) {}
    QueueSeat(const QueueSeat&) = delete;
    QueueSeat& operator=(const QueueSeat&) = delete;
    ~QueueSeat() {
      auto s = state.lock();
      if (!s) return;
      if (!waiter->removed) {
        s->waiters.erase(position);
      } else if (waiter->granted) {
        s->release_one();  // granted, but the frame ended before it could take the unit
      }
    }
  };

  asio::any_io_executor executor_;
  std::shared_ptr<State> state_;
};

}  // namespace otagw::transports
