#pragma once
// The printf-like patterns of a scenario's `generate` entries ("sub-%04d"):
// exactly one %d conversion with an optional zero flag and width, and %% for a
// literal percent sign. The pattern is never handed to printf.
#include <optional>
#include <string>
#include <string_view>

namespace otagw::cloudsim {

class NameFormat {
 public:
  // nullopt, with the reason in `why`, unless `pattern` has exactly one %d,
  // %Nd or %0Nd (N at most 2 digits) and nothing else after a '%' but '%'.
  [[nodiscard]] static std::optional<NameFormat> parse(std::string_view pattern, std::string& why);

  [[nodiscard]] std::string format(long long number) const;

 private:
  std::string prefix_;
  std::string suffix_;
  int width_ = 0;
  bool zero_pad_ = false;
};

}  // namespace otagw::cloudsim
