#pragma once
// The commands of otagw-cloudsim; each returns the process exit code:
// 0 done, 1 a run-time failure (no broker, report not written), 2 a usage or
// scenario error (the message names the option or the scenario key), 3 an
// expectation of the scenario failed, 4 (run) otagwd failed.
#include <filesystem>
#include <optional>

#include "tools/cloudsim/cli.hpp"
#include "tools/cloudsim/scenario.hpp"

namespace otagw::cloudsim {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitExpectations = 3;
inline constexpr int kExitOtagwd = 4;

// Loads the scenario; prints every error ("FILE: path (line N): message") on
// stderr and returns nullopt when there are any.
[[nodiscard]] std::optional<Scenario> load_or_explain(const std::filesystem::path& file);

// Serves until SIGTERM/SIGINT on its own io_context (one thread, plus one
// blocking-pool thread for MqttSession's connect). Prints "ready" on stdout
// once subscribed; logs go to stderr.
[[nodiscard]] int run_serve(const ServeCommand& command);

// Prints devices_file_text() on stdout.
[[nodiscard]] int run_devices_file(const DevicesFileCommand& command);

// Writes render_otagwd_config() to --output or stdout; 2 when the scenario
// lacks what the config needs (a version, a plugin), naming the device.
[[nodiscard]] int run_config(const ConfigCommand& command);

// run_command.cpp: the whole local cloud around one `otagwd --once`.
[[nodiscard]] int run_run(const RunCommand& command);

}  // namespace otagw::cloudsim
