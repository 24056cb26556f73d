#include "tools/cloudsim/name_format.hpp"

namespace otagw::cloudsim {

std::optional<NameFormat> NameFormat::parse(std::string_view pattern, std::string& why) {
  NameFormat result;
  bool seen = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    std::string& out = seen ? result.suffix_ : result.prefix_;
    if (pattern[i] != '%') {
      out += pattern[i];
      continue;
    }
    ++i;
    if (i < pattern.size() && pattern[i] == '%') {
      out += '%';
      continue;
    }
    if (seen) {
      why = "has more than one conversion; exactly one %d is allowed";
      return std::nullopt;
    }
    if (i < pattern.size() && pattern[i] == '0') {
      result.zero_pad_ = true;
      ++i;
    }
    int digits = 0;
    while (i < pattern.size() && pattern[i] >= '0' && pattern[i] <= '9') {
      if (++digits > 2) {
        why = "has a field width over 99";
        return std::nullopt;
      }
      result.width_ = result.width_ * 10 + (pattern[i] - '0');
      ++i;
    }
    if (i >= pattern.size() || pattern[i] != 'd') {
      why = "has a conversion other than %d, %Nd or %0Nd (use %% for a literal percent sign)";
      return std::nullopt;
    }
    seen = true;
  }
  if (!seen) {
    why = "has no %d: every generated device would get the same value";
    return std::nullopt;
  }
  return result;
}

std::string NameFormat::format(long long number) const {
  std::string digits = std::to_string(number < 0 ? -number : number);
  const std::size_t sign = number < 0 ? 1 : 0;
  const std::size_t width = static_cast<std::size_t>(width_);
  std::string text = prefix_;
  if (zero_pad_) {
    if (sign != 0U) text += '-';
    if (digits.size() + sign < width) text.append(width - digits.size() - sign, '0');
    text += digits;
  } else {
    if (digits.size() + sign < width) text.append(width - digits.size() - sign, ' ');
    if (sign != 0U) text += '-';
    text += digits;
  }
  return text + suffix_;
}

}  // namespace otagw::cloudsim
