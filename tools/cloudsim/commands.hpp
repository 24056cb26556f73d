#pragma once
// The commands of otagw-cloudsim; each returns the process exit code:
// 0 done, 1 a run-time failure (no broker, report not written), 2 a usage or
// scenario error (the message names the option or the scenario key).
#include "tools/cloudsim/cli.hpp"

namespace otagw::cloudsim {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Serves until SIGTERM/SIGINT on its own io_context (one thread, plus one
// blocking-pool thread for MqttSession's connect). Prints "ready" on stdout
// once subscribed; logs go to stderr.
[[nodiscard]] int run_serve(const ServeCommand& command);

// Prints devices_file_text() on stdout.
[[nodiscard]] int run_devices_file(const DevicesFileCommand& command);

}  // namespace otagw::cloudsim
