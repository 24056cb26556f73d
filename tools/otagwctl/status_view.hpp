#pragma once
// otagwd's status object and watch events (docs/control.md) as otagwctl
// reads them. Parsing is lenient: a missing or mistyped field reads as its
// empty value, and unknown fields are ignored, so a newer daemon's status
// still renders.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

namespace otagw::ctl {

struct DeviceRow {
  std::string product_key;
  std::string device_name;
  std::string module;  // "" = the default module
  std::string version;
  std::string state;   // idle, queued, visiting, downloading, verifying, waiting, flashing, confirming, reporting
  std::optional<int> progress;        // download percent
  std::optional<int> flash_progress;  // the plugin's last `progress N`
  std::optional<std::string> target_version;
  std::optional<std::string> waiting_for;  // while waiting: "bus can0", "flash window", ...
  std::optional<std::string> last_check;  // ISO 8601 UTC, as the daemon sends it
  std::optional<std::string> last_result;
  std::optional<std::string> error;

  [[nodiscard]] std::string label() const { return product_key + "/" + device_name; }
  [[nodiscard]] bool same_row(const DeviceRow& other) const {
    return product_key == other.product_key && device_name == other.device_name && module == other.module;
  }
  // A firmware job is under way (from the download to the report).
  [[nodiscard]] bool job_in_flight() const;
  // The state as a person reads it: "waiting for flash window", else the state.
  [[nodiscard]] std::string state_text() const {
    if (state == "waiting" && waiting_for) return "waiting for " + *waiting_for;
    return state.empty() ? "?" : state;
  }
};

struct ConnectionView {
  std::string state;  // connecting, connected, refused, stopped
  std::string broker;
  std::optional<std::string> since;
  std::optional<std::string> detail;
};

struct PassView {
  bool running = false;
  std::optional<std::int64_t> number;
  std::optional<std::string> started;
  std::optional<std::string> ended;
  std::optional<std::string> next;
  std::optional<std::int64_t> devices;
  std::optional<std::int64_t> visited;
  std::optional<std::string> last_summary;
};

struct DaemonView {
  std::string version;
  std::optional<std::int64_t> pid;
  std::string config;
  std::optional<std::string> started;
};

struct StatusView {
  DaemonView daemon;
  ConnectionView connection;
  PassView pass;
  std::vector<DeviceRow> devices;
};

struct ReloadView {
  bool ok = false;
  std::vector<std::string> added, removed, updated;
  std::vector<std::string> errors;  // refused: `file:line: path: message` lines
};

struct WatchEvent {
  enum class Kind { device, device_removed, pass, connection, reload, other };
  Kind kind = Kind::other;
  std::string name;  // the `event` value as sent
  DeviceRow device;  // device; device_removed fills the key fields only
  PassView pass;
  ConnectionView connection;
  ReloadView reload;
};

// The status object; an error when `status` is not a JSON object.
[[nodiscard]] tl::expected<StatusView, std::string> parse_status(const nlohmann::json& status);
[[nodiscard]] DeviceRow parse_device(const nlohmann::json& row);
[[nodiscard]] PassView parse_pass(const nlohmann::json& pass);
[[nodiscard]] ConnectionView parse_connection(const nlohmann::json& connection);

// An event line's object (it has "event"); Kind::other for events this
// otagwctl does not know.
[[nodiscard]] WatchEvent parse_event(const nlohmann::json& line);

// Brings `status` up to date with `event`: a device row is replaced (or
// appended when new), a removed one erased, the pass and connection replaced.
void apply_event(StatusView& status, const WatchEvent& event);

}  // namespace otagw::ctl
