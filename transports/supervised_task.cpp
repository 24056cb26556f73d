#include "transports/supervised_task.hpp"

#include <cstdlib>

#include <spdlog/spdlog.h>

#include "transports/log_text.hpp"

namespace otagw::transports {

std::string describe_exception(std::exception_ptr error) {
  if (!error) return "no exception";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

void abort_on_task_failure(std::string_view task, std::exception_ptr error) {
  spdlog::critical("{} failed and nothing supervises it: {}; aborting", task, log_text(describe_exception(error)));
  spdlog::shutdown();
  std::abort();
}

void spawn_supervised(asio::any_io_executor executor, std::string name, asio::awaitable<void> task,
                      TaskFailureHandler on_failure, std::function<void()> on_end) {
  if (!on_failure) on_failure = abort_on_task_failure;
  asio::co_spawn(executor, std::move(task),
                 [name = std::move(name), on_failure = std::move(on_failure),
                  on_end = std::move(on_end)](std::exception_ptr error) {
                   if (error) {
                     spdlog::critical("task '{}' died: {}", name, log_text(describe_exception(error)));
                     on_failure(name, error);
                   } else if (on_end) {
                     on_end();
                   }
                 });
}

}  // namespace otagw::transports
