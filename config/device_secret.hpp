#pragma once
// The device_secret / device_secret_file pair shared by the gateway and every
// sub-device. No message built here ever contains the secret.
#include <cstddef>
#include <optional>

#include "config/secret.hpp"
#include "config/source_context.hpp"
#include "config/yaml_map_reader.hpp"

namespace otagw::config::detail {

// A secret file bigger than this is a wrong path, not a secret.
inline constexpr std::size_t kMaxSecretFileBytes = 4096;

// Exactly one of `device_secret` (inline) or `device_secret_file` (a path,
// relative to the directory of the file it is written in; the contents with
// trailing whitespace removed) must be set in `map`. Reports what is wrong and
// gives nullopt then.
[[nodiscard]] std::optional<Secret> read_device_secret(const MapReader& map, SourceContext& src);

}  // namespace otagw::config::detail
