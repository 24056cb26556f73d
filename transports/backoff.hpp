#pragma once
// Capped exponential back-off with full jitter: thousands of gateways that lost
// the same broker must not come back in lock-step.
#include <chrono>
#include <cstdint>
#include <random>

namespace otagw::transports {

class Backoff {
 public:
  using Duration = std::chrono::milliseconds;

  Backoff(Duration initial, Duration cap, std::uint32_t seed = std::random_device{}())
      : initial_(initial), cap_(cap), random_(seed) {}

  // The next delay: uniform in [ceiling/2, ceiling], where the ceiling doubles
  // from `initial` on each call up to `cap`. Half the ceiling is kept as a floor
  // so a retry never comes immediately.
  [[nodiscard]] Duration next();

  // After a success: the next failure starts again from `initial`.
  void reset() noexcept { attempts_ = 0; }

  [[nodiscard]] unsigned attempts() const noexcept { return attempts_; }

 private:
  Duration initial_;
  Duration cap_;
  unsigned attempts_ = 0;
  std::mt19937 random_;
};

}  // namespace otagw::transports
