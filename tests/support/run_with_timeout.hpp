#pragma once
// Runs a coroutine on an io_context with a hard time-out, so a hung async test
// fails instead of hanging CI. Exceptions from the coroutine (Catch2's failed
// REQUIREs among them) are rethrown in the test's thread.
#include <utility>

#include <boost/asio.hpp>

#include <chrono>
#include <exception>
#include <stdexcept>

namespace otagw::test_support {

inline void run_with_timeout(boost::asio::io_context& io, boost::asio::awaitable<void> coroutine,
                             std::chrono::steady_clock::duration limit = std::chrono::seconds(30)) {
  bool done = false;
  std::exception_ptr failure;
  boost::asio::co_spawn(io, std::move(coroutine), [&](std::exception_ptr e) {
    failure = e;
    done = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    io.run_one_until(deadline);
    if (io.stopped() && !done) io.restart();
  }
  if (failure) std::rethrow_exception(failure);
  if (!done) throw std::runtime_error("test coroutine timed out");
}

// Lets the loop run for `duration` (timers, I/O) from inside a coroutine.
inline boost::asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration duration) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, duration);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

}  // namespace otagw::test_support
