#pragma once
// JSON from the cloud, parsed within bounds: a size limit before the parser
// sees a byte, and a nesting limit checked by a first, allocation-free SAX
// pass, so a value nested 100,000 deep is refused before a tree exists
// (copying or destroying such a tree recurses once per level: a stack
// overflow). A text with no more opening brackets than the limit cannot nest
// deeper and skips that pass. nlohmann's parser itself rejects invalid UTF-8
// in strings.
//
// No Asio here: the seam builds into the fuzzers (tests/fuzz).
#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "transports/result.hpp"

namespace otagw::subdev {

struct JsonLimits {
  std::size_t max_bytes = 64 * 1024;
  std::size_t max_depth = 16;  // objects and arrays, the outermost counts 1
};

// Errors (MessageErrc): too_large, too_deep, not_json. Never throws.
[[nodiscard]] Expected<nlohmann::json> parse_bounded_json(std::string_view text, JsonLimits limits = {});

}  // namespace otagw::subdev
