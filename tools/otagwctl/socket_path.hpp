#pragma once
// Where otagwctl finds the control socket: --socket PATH, else `control.socket`
// of --config FILE, else the built-in default. Only that one key is read:
// an operator in group otagwctl may not load (or even read) the whole config,
// whose secrets are the service's.
#include <filesystem>
#include <string>

#include <tl/expected.hpp>

namespace otagw::ctl {

// The default of `control.socket` (config/config.hpp), in the unit's RuntimeDirectory.
inline constexpr const char* kDefaultSocket = "/run/otagw/otagw.sock";

// `control.socket` of the YAML file `config_file`: the default when the key
// (or the `control` section) is missing; a relative path is resolved against
// the file's directory, as config/ resolves every path. An error (a sentence
// saying what to do) when the file cannot be read or parsed, the key is not
// a string, or it is empty (the daemon's socket is off).
[[nodiscard]] tl::expected<std::filesystem::path, std::string> socket_from_config(
    const std::filesystem::path& config_file);

}  // namespace otagw::ctl
