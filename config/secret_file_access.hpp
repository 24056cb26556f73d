#pragma once
// Who may read a file that holds secrets (a device_secret_file, or a config
// with inline device_secret values). A secret others can read is refused at
// start and by --check-config, with the commands that fix it in the message.
#include <filesystem>
#include <string>

namespace otagw::config::detail {

// The account the packaged service runs as (sysusers.d/otagw.conf). Root or
// another user running the daemon accepts files of its own as well.
inline constexpr const char* kServiceAccount = "otagw";

// Empty when `path` is fit to hold secrets:
//   - owned by root, by the user running this process, or by the service
//     account;
//   - readable or writable by no one else ("others" have no permission), and
//     readable by its group only when that group is the process's or the
//     service account's.
// Else what is wrong and the fix, e.g.
//   "others can read it (mode 0644); fix: chown root:otagw '/etc/otagw/gw.yaml'; chmod 640 '/etc/otagw/gw.yaml'"
// A file that cannot be examined gives the stat error (its reading reports it).
[[nodiscard]] std::string secret_file_exposure(const std::filesystem::path& path);

}  // namespace otagw::config::detail
