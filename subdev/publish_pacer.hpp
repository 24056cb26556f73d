#pragma once
// Paces requests to the platform: it throttles messages per device and
// sub-device logins per gateway, and answers 429 beyond its limits.
// `max_per_s` 0 = unpaced; a throttling reply halves the rate (from 100/s
// when unpaced, down to 1/s) for the rest of the run.
#include <chrono>
#include <string>

#include "transports/asio.hpp"

namespace otagw::subdev {

class PublishPacer {
 public:
  // `what` names the paced requests in logs.
  explicit PublishPacer(int max_per_s, std::string what = "upstream publishes") : what_(std::move(what)) {
    set_rate(max_per_s);
  }

  // Waits for the next slot (at once when unpaced or not due).
  asio::awaitable<void> acquire();

  void slow_down();

  // A reload: the configured rate (0 = unpaced) from the next slot on.
  void set_max_per_s(int max_per_s) { set_rate(max_per_s); }

  [[nodiscard]] double rate_per_s() const noexcept { return rate_per_s_; }

 private:
  void set_rate(double per_s);

  std::string what_;
  double rate_per_s_ = 0;
  std::chrono::steady_clock::duration interval_{};
  std::chrono::steady_clock::time_point next_slot_{};
};

}  // namespace otagw::subdev
