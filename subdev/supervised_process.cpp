#include "subdev/supervised_process.hpp"

#include <signal.h>

#include <exception>
#include <memory>

#include <spdlog/spdlog.h>

#include "transports/log_text.hpp"
#include "transports/supervised_task.hpp"

namespace otagw::subdev {
namespace {

using Clock = std::chrono::steady_clock;

// SIGTERM at the time limit, SIGKILL after the grace. Shared with its timer
// handlers so that a handler already queued when the run ends finds
// `child` cleared instead of a destroyed process.
struct Deadline {
  Deadline(asio::any_io_executor loop, ChildProcess& process, Clock::duration grace_period)
      : timer(std::move(loop)), child(&process), grace(grace_period) {}

  asio::steady_timer timer;
  ChildProcess* child;
  Clock::duration grace;
  bool expired = false;
};

void arm(const std::shared_ptr<Deadline>& deadline, Clock::duration after, int signal_number) {
  deadline->timer.expires_after(after);
  deadline->timer.async_wait([deadline, signal_number](boost::system::error_code ec) {
    if (ec || deadline->child == nullptr) return;
    deadline->expired = true;
    deadline->child->signal_group(signal_number);
    if (signal_number == SIGTERM) arm(deadline, deadline->grace, SIGKILL);
  });
}

}  // namespace

asio::awaitable<SupervisedExit> run_supervised(asio::any_io_executor loop, SupervisedRun run) {
  auto spawned = ChildProcess::spawn(loop, run.spawn);
  SupervisedExit result;
  if (!spawned) {
    result.start_error = spawned.error().message();
    co_return result;
  }
  ChildProcess& process = **spawned;
  run.on_spawned(process.pid());

  // The readers run beside this coroutine; it does not return before both
  // finished, so their completion handler may refer to its locals.
  int readers = 2;
  asio::steady_timer readers_done(loop, Clock::time_point::max());
  auto reader_finished = [&readers, &readers_done](std::exception_ptr failure) {
    if (failure) spdlog::error("plugin output reader failed: {}", log_text(transports::describe_exception(failure)));
    if (--readers == 0) readers_done.cancel();
  };
  asio::co_spawn(loop, read_lines(&process.stdout_pipe(), run.max_line, run.on_stdout), reader_finished);
  asio::co_spawn(loop, read_lines(&process.stderr_pipe(), run.max_line, run.on_stderr), reader_finished);

  auto deadline = std::make_shared<Deadline>(loop, process, run.term_grace);
  arm(deadline, run.timeout, SIGTERM);

  ExitStatus status;
  try {
    status = co_await process.wait_exit();
  } catch (const boost::system::system_error& e) {
    // Only a broken pidfd gets here; the ChildProcess destructor kills the group.
    spdlog::error("waiting for plugin process {}: {}", process.pid(), e.what());
    status = ExitStatus{.lost = true};
  }
  deadline->child = nullptr;
  deadline->timer.cancel();

  auto drain_until = Clock::now() + run.drain;
  while (readers > 0) {
    readers_done.expires_at(drain_until);
    boost::system::error_code ec;
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    co_await readers_done.async_wait(token);
    if (ec) continue;  // cancelled: a reader finished
    // Something outside the group still holds the pipes: stop listening.
    boost::system::error_code ignored;
    process.stdout_pipe().close(ignored);
    process.stderr_pipe().close(ignored);
    drain_until = Clock::time_point::max();
  }
  result.status = status;
  result.timed_out = deadline->expired;
  co_return result;
}

}  // namespace otagw::subdev
