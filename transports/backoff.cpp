#include "transports/backoff.hpp"

#include <algorithm>

namespace otagw::transports {

Backoff::Duration Backoff::next() {
  // 2^20 * initial already exceeds any sane cap; stop doubling there so the
  // shift cannot overflow however long the broker stays away.
  const unsigned exponent = std::min(attempts_, 20u);
  ++attempts_;
  const auto uncapped = initial_.count() * (std::int64_t{1} << exponent);
  const auto ceiling = std::min<std::int64_t>(uncapped, cap_.count());
  std::uniform_int_distribution<std::int64_t> pick(ceiling / 2, ceiling);
  return Duration(pick(random_));
}

}  // namespace otagw::transports
