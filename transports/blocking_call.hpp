#pragma once
// Runs a blocking function (fsync, getaddrinfo, ...) on the blocking-call pool
// and resumes the calling coroutine on its own executor with the result. The
// function must not touch loop-owned state: give it copies.
#include <type_traits>
#include <utility>

#include "transports/asio.hpp"

namespace otagw::transports {

template <typename Function>
asio::awaitable<std::invoke_result_t<Function>> run_blocking(asio::any_io_executor pool, Function function) {
  using Result = std::invoke_result_t<Function>;
  auto loop = co_await asio::this_coro::executor;
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(Result)>(
      [](auto handler, asio::any_io_executor pool_executor, asio::any_io_executor loop_executor, Function work) {
        asio::post(pool_executor, [handler = std::move(handler), loop_executor, work = std::move(work)]() mutable {
          Result result = work();
          asio::post(loop_executor, [handler = std::move(handler), result = std::move(result)]() mutable {
            std::move(handler)(std::move(result));
          });
        });
      },
      asio::use_awaitable, std::move(pool), std::move(loop), std::move(function));
}

}  // namespace otagw::transports
