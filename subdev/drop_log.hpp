#pragma once
// Warnings about dropped cloud messages, within a budget: a cloud that floods
// the gateway with bad or stale messages must not flood the journal too. At
// most kLinesPerMinute lines a minute; the rest are counted, and the count is
// logged once the minute is over.
#include <chrono>
#include <cstddef>

#include <spdlog/spdlog.h>

namespace otagw::subdev {

class DropLog {
 public:
  static constexpr std::size_t kLinesPerMinute = 20;

  // True when a line about one more dropped message may be logged now.
  [[nodiscard]] bool admit(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) {
    if (now - window_start_ >= std::chrono::minutes(1)) {
      if (suppressed_ > 0) {
        spdlog::warn("{} more dropped cloud message(s) not logged in the last minute", suppressed_);
      }
      window_start_ = now;
      lines_ = 0;
      suppressed_ = 0;
    }
    if (lines_ < kLinesPerMinute) {
      ++lines_;
      return true;
    }
    ++suppressed_;
    return false;
  }

 private:
  std::chrono::steady_clock::time_point window_start_{};
  std::size_t lines_ = 0;
  std::size_t suppressed_ = 0;
};

}  // namespace otagw::subdev
