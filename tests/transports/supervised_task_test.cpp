// Supervised tasks: an exception that escapes a long-lived coroutine reaches
// the failure handler with the task's name (the daemon then exits 70); a task
// that returns reaches on_end; neither runs inline in spawn_supervised().
#include <catch2/catch.hpp>

#include <stdexcept>

#include "transports/supervised_task.hpp"

using namespace otagw;

namespace {

asio::awaitable<void> fails_after_a_wait() {
  asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(5));
  co_await timer.async_wait(asio::use_awaitable);
  throw std::runtime_error("offer field read without a type check");
}

asio::awaitable<void> returns() { co_return; }

}  // namespace

TEST_CASE("a task that throws reaches the failure handler with its name", "[unit][supervisor]") {
  asio::io_context io;
  std::string failed_task;
  std::string what;
  bool ended = false;
  transports::spawn_supervised(
      io.get_executor(), "sweep", fails_after_a_wait(),
      [&](std::string_view task, std::exception_ptr error) {
        failed_task = task;
        what = transports::describe_exception(error);
      },
      [&] { ended = true; });
  CHECK(failed_task.empty());  // not inline
  io.run();
  CHECK(failed_task == "sweep");
  CHECK(what == "offer field read without a type check");
  CHECK_FALSE(ended);
}

TEST_CASE("a task that returns reaches on_end, not the failure handler", "[unit][supervisor]") {
  asio::io_context io;
  bool failed = false;
  bool ended = false;
  transports::spawn_supervised(
      io.get_executor(), "once", returns(), [&](std::string_view, std::exception_ptr) { failed = true; },
      [&] { ended = true; });
  CHECK_FALSE(ended);
  io.run();
  CHECK(ended);
  CHECK_FALSE(failed);
}

TEST_CASE("describe_exception names what it can", "[unit][supervisor]") {
  CHECK(transports::describe_exception(std::make_exception_ptr(std::logic_error("x"))) == "x");
  CHECK(transports::describe_exception(std::make_exception_ptr(42)).find("not derived") != std::string::npos);
  CHECK(transports::describe_exception(nullptr) == "no exception");
}
