#pragma once
// A sub-device's `params` (free-form, passed to its plugin) as JSON; the
// simulator reads a scenario's params and extData with it too, so both type
// them alike.
//
// Maps become objects, lists arrays. A plain (unquoted, untagged) scalar is
// typed by the YAML 1.2 core schema: null/~/empty -> null, true/false ->
// boolean, 12 / 0x1F / 0o17 -> integer, 1.5 / 1e3 -> number; everything else,
// and every quoted or tagged scalar, is a string. .inf and .nan stay strings
// (JSON has no such numbers), as do integers beyond 64 bits.
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "config/error_sink.hpp"

namespace otagw::config {

// Converts `node` found at `path`; repeated or non-string keys, and nesting
// deeper than 32 levels (which also catches a YAML alias that contains
// itself), are errors and give nullopt.
[[nodiscard]] std::optional<nlohmann::json> yaml_to_json(const YAML::Node& node, const std::string& path, int line,
                                                         ErrorSink& errors);

}  // namespace otagw::config

namespace otagw::config::detail {

// The JSON value of one plain scalar, by the rules above.
[[nodiscard]] nlohmann::json plain_scalar_to_json(const std::string& text);

}  // namespace otagw::config::detail
