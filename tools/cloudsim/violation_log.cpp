#include "tools/cloudsim/violation_log.hpp"

#include <spdlog/spdlog.h>

namespace otagw::cloudsim {
namespace {
// Warn about the first ones so a human sees that something is off, without
// drowning a benchmark's log.
constexpr std::uint64_t kWarnLimit = 20;
// Topics in log lines are the sender's bytes: bound them.
constexpr std::size_t kTopicMax = 200;
}  // namespace

void ViolationLog::add(std::int64_t t_ms, std::string_view topic, std::string what) {
  ++total_;
  const std::string_view shown = topic.substr(0, kTopicMax);
  if (total_ <= kWarnLimit) {
    spdlog::warn("violation on '{}': {}", shown, what);
    if (total_ == kWarnLimit) spdlog::warn("further violations are logged at debug level only");
  } else {
    spdlog::debug("violation on '{}': {}", shown, what);
  }
  if (kept_.size() < capacity_) kept_.push_back(Violation{t_ms, std::string(topic), std::move(what)});
}

}  // namespace otagw::cloudsim
