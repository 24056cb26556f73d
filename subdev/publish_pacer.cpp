#include "subdev/publish_pacer.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace otagw::subdev {

void PublishPacer::set_rate(double per_s) {
  rate_per_s_ = per_s;
  interval_ = per_s > 0 ? std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(1.0 / per_s))
                        : std::chrono::steady_clock::duration::zero();
}

asio::awaitable<void> PublishPacer::acquire() {
  if (rate_per_s_ <= 0) co_return;
  const auto now = std::chrono::steady_clock::now();
  const auto slot = std::max(now, next_slot_);
  next_slot_ = slot + interval_;
  if (slot > now) {
    asio::steady_timer timer(co_await asio::this_coro::executor, slot);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

void PublishPacer::slow_down() {
  const double slower = rate_per_s_ > 0 ? std::max(1.0, rate_per_s_ / 2) : 100.0;
  spdlog::warn("platform throttling (429): pacing {} at {:.0f}/s", what_, slower);
  set_rate(slower);
}

}  // namespace otagw::subdev
