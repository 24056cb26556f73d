#pragma once
// Polling for a condition another process brings about (a file grows, a
// process exits), for tests that cannot be told by an event.
#include <chrono>
#include <thread>

namespace otagw::test_support {

// Calls `done` every `every` until it returns true (true) or `within` has
// passed (false). `done` is called at least once, and once more at the end.
template <typename Predicate>
bool wait_until(Predicate&& done, std::chrono::milliseconds within,
                std::chrono::milliseconds every = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(every);
  }
  return done();
}

}  // namespace otagw::test_support
