#pragma once
// Long-lived coroutines run under supervision, so that none dies unseen. An
// exception that escapes a task (a bug: the I/O paths report errors as
// values) is logged with the task's name and what it said, then handed to
// `on_failure`, which for the daemon means: exit with code 70 and let systemd
// restart it, rather than run on half-dead with the watchdog still fed.
//
// `on_end` runs when the task returns normally (may be empty). Both handlers
// run on the task's executor, never inline in spawn_supervised().
#include <exception>
#include <functional>
#include <string>
#include <string_view>

#include "transports/asio.hpp"

namespace otagw::transports {

using TaskFailureHandler = std::function<void(std::string_view task, std::exception_ptr error)>;

// What an exception says, for a log line: what() of a std::exception, else a
// fixed text.
[[nodiscard]] std::string describe_exception(std::exception_ptr error);

// Used where no handler is set: logs at critical level and aborts, so the
// failure is never silent even outside the daemon.
void abort_on_task_failure(std::string_view task, std::exception_ptr error);

void spawn_supervised(asio::any_io_executor executor, std::string name, asio::awaitable<void> task,
                      TaskFailureHandler on_failure, std::function<void()> on_end = {});

}  // namespace otagw::transports
