#pragma once
// Replacing a file so that a crash or power loss leaves either the old or the
// new contents, never a mix: write a temp file beside it, fsync it, rename it
// over the old one, fsync the directory (Mender's fallback store skips the
// fsyncs; a power cut can then keep the rename and lose the data).
//
// Blocking (fsync): call it on the blocking-call pool, never on the loop.
#include <filesystem>
#include <string_view>
#include <system_error>

namespace otagw::transports {

[[nodiscard]] std::error_code write_file_atomically(const std::filesystem::path& path, std::string_view contents);

}  // namespace otagw::transports
