#pragma once
// The platform's limit on sub-device login requests per gateway and second
// (protocol.md §3: 200/s): a sliding window over the last second. O(1) and no
// allocation per request: a ring of the last `limit` accepted requests' times.
#include <chrono>
#include <cstddef>
#include <vector>

namespace otagw::cloudsim {

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LoginThrottle(int per_second);

  // True (and the request is counted) when fewer than `per_second` requests
  // were admitted in the second before `now`; false means answer 429. Refused
  // requests do not count, so a gateway that backs off gets through again.
  [[nodiscard]] bool admit(Clock::time_point now);

 private:
  std::vector<Clock::time_point> ring_;  // admitted times, oldest at next_ once full
  std::size_t next_ = 0;
  std::size_t filled_ = 0;
};

}  // namespace otagw::cloudsim
