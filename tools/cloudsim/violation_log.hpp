#pragma once
// Protocol violations the simulator saw: anything a correct gateway would not
// send. Bounded, so a flood of garbage cannot exhaust memory; the total is
// always counted.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace otagw::cloudsim {

struct Violation {
  std::int64_t t_ms = 0;
  std::string topic;
  std::string what;
};

class ViolationLog {
 public:
  static constexpr std::size_t kDefaultCapacity = 10'000;

  explicit ViolationLog(std::size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  // Also logs it at warning level (the first few) or debug.
  void add(std::int64_t t_ms, std::string_view topic, std::string what);

  [[nodiscard]] const std::vector<Violation>& kept() const noexcept { return kept_; }
  [[nodiscard]] std::uint64_t total() const noexcept { return total_; }

 private:
  std::size_t capacity_;
  std::vector<Violation> kept_;
  std::uint64_t total_ = 0;
};

}  // namespace otagw::cloudsim
