#pragma once
// Paces upstream publishes: the platform throttles messages per device and
// answers 429 beyond its limits. `max_per_s` 0 = unpaced; a throttling reply
// halves the rate (from 100/s when unpaced) for the rest of the run.
#include <chrono>

#include "transports/asio.hpp"

namespace otagw::subdev {

class PublishPacer {
 public:
  explicit PublishPacer(int max_per_s) { set_rate(max_per_s); }

  // Waits for the next slot (at once when unpaced or not due).
  asio::awaitable<void> acquire();

  void slow_down();

  [[nodiscard]] double rate_per_s() const noexcept { return rate_per_s_; }

 private:
  void set_rate(double per_s);

  double rate_per_s_ = 0;
  std::chrono::steady_clock::duration interval_{};
  std::chrono::steady_clock::time_point next_slot_{};
};

}  // namespace otagw::subdev
