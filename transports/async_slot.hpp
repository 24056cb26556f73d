#pragma once
// A one-shot mailbox a coroutine can wait on with a deadline: a reply matched
// by id, a firmware push for the active device. deliver() fills it (first
// value wins); wake() ends a wait early without a value (e.g. connection lost).
// Loop thread only.
#include <chrono>
#include <optional>
#include <utility>

#include "transports/asio.hpp"

namespace otagw::transports {

template <typename T>
class AsyncSlot {
 public:
  explicit AsyncSlot(asio::any_io_executor executor) : timer_(std::move(executor)) {}

  void deliver(T value) {
    if (value_) return;
    value_ = std::move(value);
    timer_.cancel();
  }

  void wake() {
    woken_ = true;
    timer_.cancel();
  }

  [[nodiscard]] bool has_value() const noexcept { return value_.has_value(); }
  // wake() was called: a wait that ended without a value was cut short, not timed out.
  [[nodiscard]] bool woken() const noexcept { return woken_; }

  // The value, or nullopt after `timeout` or wake().
  asio::awaitable<std::optional<T>> wait_for(std::chrono::steady_clock::duration timeout) {
    if (!value_ && !woken_) {
      timer_.expires_after(timeout);
      boost::system::error_code ignored;
      co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    co_return std::move(value_);
  }

 private:
  asio::steady_timer timer_;
  std::optional<T> value_;
  bool woken_ = false;
};

}  // namespace otagw::transports
