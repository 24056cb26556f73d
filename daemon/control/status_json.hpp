#pragma once
// The operator's view as docs/control.md pins it: the status object, its
// rows, and the event lines of a `watch`.
#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "subdev/fleet_status.hpp"

namespace otagw::daemon {

struct DaemonInfo {
  std::string version;
  long pid = 0;
  std::filesystem::path config_file;
  std::int64_t started_ms = 0;
};

// UTC, ISO 8601 to the second ("2026-12-07T15:02:11Z"); null for 0 (never).
[[nodiscard]] nlohmann::json time_json(std::int64_t wall_ms);

[[nodiscard]] nlohmann::json row_json(const subdev::ModuleStatus& row);
[[nodiscard]] nlohmann::json pass_json(const subdev::PassStatus& pass);
[[nodiscard]] nlohmann::json connection_json(const subdev::ConnectionStatus& connection);
[[nodiscard]] nlohmann::json status_json(const subdev::FleetStatus& fleet, const DaemonInfo& daemon);

// The event line (with its newline) for a watch, as every watcher gets it.
[[nodiscard]] std::string event_line(const subdev::StatusEvent& event);

// One line of JSON with its newline; bytes that are not UTF-8 become U+FFFD.
[[nodiscard]] std::string json_line(const nlohmann::json& value);

}  // namespace otagw::daemon
