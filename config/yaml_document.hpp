#pragma once
// The seam between yaml-cpp's exceptions and our error list.
#include <yaml-cpp/yaml.h>

#include <optional>
#include <string_view>

#include "config/source_context.hpp"

namespace otagw::config::detail {

// Parses `text` as exactly one YAML document. A syntax error, a second
// document or nesting deeper than 64 levels is reported (with its line) and
// gives nullopt; an empty document gives a null node. Never throws a YAML
// exception.
[[nodiscard]] std::optional<YAML::Node> parse_yaml_document(std::string_view text, SourceContext& src);

}  // namespace otagw::config::detail
