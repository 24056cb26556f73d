#include "tools/cloudsim/login_throttle.hpp"

namespace otagw::cloudsim {

LoginThrottle::LoginThrottle(int per_second) : ring_(static_cast<std::size_t>(per_second > 0 ? per_second : 1)) {}

bool LoginThrottle::admit(Clock::time_point now) {
  if (filled_ == ring_.size() && now - ring_[next_] < std::chrono::seconds(1)) return false;
  ring_[next_] = now;
  next_ = (next_ + 1) % ring_.size();
  if (filled_ < ring_.size()) ++filled_;
  return true;
}

}  // namespace otagw::cloudsim
