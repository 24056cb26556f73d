#pragma once
// The one Range form a downloader sends: a single `bytes=` range
// (`N-`, `N-M` or the suffix `-S`), resolved against the file size.
#include <cstdint>
#include <string_view>

namespace otagw::cloudsim {

struct ByteRange {
  enum class Kind {
    whole,          // no Range, or one we ignore (multiple ranges, other units, malformed): 200
    partial,        // 206 with [first, last]
    unsatisfiable,  // 416: starts at or past the end
  };
  Kind kind = Kind::whole;
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};

[[nodiscard]] ByteRange parse_byte_range(std::string_view header, std::uint64_t size) noexcept;

}  // namespace otagw::cloudsim
