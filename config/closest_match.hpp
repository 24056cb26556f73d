#pragma once
// "Did you mean ...?" hints for misspelt keys and names.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otagw::config::detail {

// The candidate nearest to `word` by edit distance (a swap of two neighbours
// counts as one edit, so "tsl" finds "tls"), if it is close enough to be a
// plausible typo; nullopt otherwise.
[[nodiscard]] std::optional<std::string> closest_match(std::string_view word,
                                                       const std::vector<std::string_view>& candidates);

}  // namespace otagw::config::detail
