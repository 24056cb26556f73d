#pragma once
// Replacing a file so that a crash or power loss leaves either the old or the
// new contents, never a mix: write a temp file beside it, fsync it, rename it
// over the old one, fsync the directory (Mender's fallback store skips the
// fsyncs; a power cut can then keep the rename and lose the data).
//
// Blocking (fsync): call it on the blocking-call pool, never on the loop.
#include <sys/types.h>

#include <filesystem>
#include <string_view>
#include <system_error>

namespace otagw::transports {

// `mode`: the new file's permission bits, exactly (neither the umask nor a
// stale temp file's mode changes them): 0600 for state and secrets, 0644 for
// a report others may read.
[[nodiscard]] std::error_code write_file_atomically(const std::filesystem::path& path, std::string_view contents,
                                                    mode_t mode = 0600);

}  // namespace otagw::transports
