#pragma once
// The run's report (README.md "Report"), written once at exit. Its shape is a
// contract with the tests and the benchmark: add fields, never rename.
#include <filesystem>
#include <string_view>

#include <nlohmann/json.hpp>

#include "transports/result.hpp"
#include "tools/cloudsim/sim_state.hpp"

namespace otagw::cloudsim {

[[nodiscard]] nlohmann::json make_report(const SimState& state, Clock::time_point now);

// Writes `text` to a temporary file beside `path`, fsyncs it and renames it
// over `path`, so a reader sees the old file or the whole new one.
// `mode`: the new file's permission bits (0600 for a file holding secrets).
[[nodiscard]] Expected<void> write_file_atomically(const std::filesystem::path& path, std::string_view text,
                                                  unsigned mode = 0644);

}  // namespace otagw::cloudsim
