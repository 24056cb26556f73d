#include "tools/cloudsim/firmware_server/byte_range.hpp"

#include <charconv>
#include <optional>

namespace otagw::cloudsim {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

std::optional<std::uint64_t> number(std::string_view text) {
  text = trim(text);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

ByteRange parse_byte_range(std::string_view header, std::uint64_t size) noexcept {
  constexpr std::string_view kUnit = "bytes=";
  ByteRange whole;
  header = trim(header);
  // RFC 9110 lets a server ignore a Range it does not support: answer 200.
  if (header.substr(0, kUnit.size()) != kUnit) return whole;
  const std::string_view spec = header.substr(kUnit.size());
  if (spec.find(',') != std::string_view::npos) return whole;
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  const std::string_view left = trim(spec.substr(0, dash));
  const std::string_view right = trim(spec.substr(dash + 1));

  ByteRange range;
  range.kind = ByteRange::Kind::partial;
  if (left.empty()) {  // suffix: the last S bytes
    const auto suffix = number(right);
    if (!suffix) return whole;
    if (*suffix == 0 || size == 0) return ByteRange{ByteRange::Kind::unsatisfiable};
    range.first = *suffix >= size ? 0 : size - *suffix;
    range.last = size - 1;
    return range;
  }
  const auto first = number(left);
  if (!first) return whole;
  std::optional<std::uint64_t> last;
  if (!right.empty()) {
    last = number(right);
    if (!last || *last < *first) return whole;
  }
  if (*first >= size) return ByteRange{ByteRange::Kind::unsatisfiable};
  range.first = *first;
  range.last = last && *last < size ? *last : size - 1;
  return range;
}

}  // namespace otagw::cloudsim
