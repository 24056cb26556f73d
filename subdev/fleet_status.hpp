#pragma once
// What the daemon is doing, sub-device by sub-device and module by module,
// for the operator (the control socket, docs/control.md): one row per
// configured device and module, the pass, the cloud connection. The sweep,
// the OTA channel and the firmware jobs write it; a listener (the control
// server) hears every change.
//
// Rows are keyed by device key and module, not by pointer: several jobs may
// be in flight at once, and a reload replaces the Subdevice objects.
//
// Progress is throttled here, once for every listener: at most one event per
// row every kProgressInterval; the last value before a change of state is
// always sent first. Threading: the loop's thread only.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "subdev/device_state.hpp"
#include "subdev/registry.hpp"
#include "transports/asio.hpp"

namespace otagw::subdev {

enum class DeviceActivity {
  idle,        // nothing under way
  queued,      // a check asked for it: visited next
  visiting,    // the OTA channel is on it
  downloading,
  verifying,
  waiting,     // a job waits for its turn (a bus, a flash window)
  flashing,
  confirming,  // after the flash: asking the plugin for the version
  reporting,   // the result waits for the session or the login
};

[[nodiscard]] std::string_view to_string(DeviceActivity activity) noexcept;

struct ModuleStatus {
  std::string product_key;
  std::string device_name;
  std::string module;   // "" = the default module
  std::string version;  // last reported to the cloud, else installed, else configured
  DeviceActivity state = DeviceActivity::idle;
  int progress = -1;        // download percent while downloading or verifying; -1 = none
  int flash_progress = -1;  // the plugin's last "progress N" while flashing; -1 = none
  std::string target_version;  // of the job in flight; "" = none
  std::string waiting_for;     // while waiting: what for ("bus can0", "flash window", ...)
  std::int64_t last_check_ms = 0;  // wall clock; 0 = never
  std::string last_result;
  std::string error;  // why the last visit or job failed; "" = it did not

  [[nodiscard]] std::string display_name() const { return product_key + "/" + device_name; }
};

struct PassStatus {
  bool running = false;
  std::uint64_t number = 0;  // passes since the start
  std::int64_t started_ms = 0;
  std::int64_t ended_ms = 0;
  std::int64_t next_ms = 0;  // when the next pass is due; 0 = unknown or running
  std::size_t devices = 0;
  std::size_t visited = 0;
  std::string last_summary;
};

struct ConnectionStatus {
  std::string state = "connecting";
  std::string broker;  // host:port
  std::int64_t since_ms = 0;
  std::string detail;  // why it left `connected`; "" = none
};

// A change, as the listener hears it. The pointers are valid during the call.
struct StatusEvent {
  enum class Kind { device, device_removed, pass, connection };
  Kind kind = Kind::device;
  const ModuleStatus* row = nullptr;  // device, device_removed
  const PassStatus* pass = nullptr;
  const ConnectionStatus* connection = nullptr;
};

class FleetStatus {
 public:
  using Listener = std::function<void(const StatusEvent&)>;
  static constexpr std::chrono::milliseconds kProgressInterval{250};

  explicit FleetStatus(asio::any_io_executor loop);
  ~FleetStatus();
  FleetStatus(const FleetStatus&) = delete;
  FleetStatus& operator=(const FleetStatus&) = delete;

  // One listener (the control server fans out). Must not throw.
  void set_listener(Listener listener) { listener_ = std::move(listener); }

  // The rows become the registry's devices and modules, in its order. Rows
  // kept keep their live state; new rows start from the saved state; rows
  // gone are announced as device_removed.
  void sync(const Registry& registry, const DeviceStateStore& state);

  // Every module of the device.
  void set_device_activity(const std::string& device_key, DeviceActivity activity);
  void set_activity(const std::string& device_key, const std::string& module, DeviceActivity activity,
                    const std::string& target_version = {});
  // The module was visited at `check_ms` (its job, if any, goes on).
  void set_checked(const std::string& device_key, const std::string& module, std::int64_t check_ms);
  // A job waits for its turn: `what` says for what (a bus, a flash window,
  // a download slot, staging room).
  void set_waiting(const std::string& device_key, const std::string& module, std::string what);
  void set_download_progress(const std::string& device_key, const std::string& module, int percent);
  void set_flash_progress(const std::string& device_key, const std::string& module, int percent);
  void set_version(const std::string& device_key, const std::string& module, const std::string& version);
  // Why the module's job or visit failed ("" clears it: a new job starts).
  void set_error(const std::string& device_key, const std::string& module, std::string error);
  // A visit of the module ended: back to idle, no target, its result; `error`
  // replaces the module's error unless nullopt (a failed job said it already).
  void set_result(const std::string& device_key, const std::string& module, std::int64_t check_ms,
                  std::string last_result, std::optional<std::string> error);

  void pass_started(std::size_t devices);
  void device_visited();
  void pass_ended(std::string summary, std::int64_t next_ms);
  void set_next_pass(std::int64_t next_ms);
  void set_connection(std::string state, std::string broker, std::string detail);

  [[nodiscard]] const std::vector<ModuleStatus>& rows() const noexcept { return rows_; }
  [[nodiscard]] const ModuleStatus* find(const std::string& device_key, const std::string& module) const;
  [[nodiscard]] const PassStatus& pass() const noexcept { return pass_; }
  [[nodiscard]] const ConnectionStatus& connection() const noexcept { return connection_; }

  [[nodiscard]] static std::int64_t now_ms();

 private:
  ModuleStatus* row(const std::string& device_key, const std::string& module);
  void emit_row(const ModuleStatus& row);
  void changed(ModuleStatus& row);  // a change of state: pending progress goes first
  void progress_changed(ModuleStatus& row);
  void arm_flush();
  void flush_pending();

  asio::steady_timer flush_timer_;
  Listener listener_;
  std::vector<ModuleStatus> rows_;
  std::map<std::pair<std::string, std::string>, std::size_t> index_;  // (device key, module) -> rows_
  // Rows with a progress change not sent yet, and when each was last sent.
  std::set<std::pair<std::string, std::string>> pending_;
  std::map<std::pair<std::string, std::string>, std::chrono::steady_clock::time_point> last_progress_sent_;
  bool flush_armed_ = false;
  PassStatus pass_;
  ConnectionStatus connection_;
};

}  // namespace otagw::subdev
