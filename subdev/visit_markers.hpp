#pragma once
// The OTA channel's crash-loop breaker. While a device is on the channel a
// marker file names it: runtime_dir/channel/{pk}.{dn}, holding how many runs
// of the daemon in a row have ended during that device's visit, this one
// included. A visit that ends (whatever its outcome) removes it; a daemon
// that dies during the visit (kill -9, a crash, exit 70, the watchdog)
// leaves it behind for the next start to count.
//
// After kMaxEndsInARow such runs the device is skipped for one pass, with a
// log line, and its marker dropped: one poisoned message or plugin then
// cannot crash-loop the whole gateway, and the device is tried again at the
// next pass.
//
// The files live on tmpfs in production (/run/otagw): no fsync, no flash
// wear, and a reboot, which is not a crash loop, forgets them. Writes are
// small and synchronous on the loop for that reason.
#include <filesystem>
#include <set>
#include <string>

#include "subdev/registry.hpp"

namespace otagw::subdev {

class VisitMarkers {
 public:
  static constexpr int kMaxEndsInARow = 3;

  // An empty `runtime_dir` disables the breaker.
  explicit VisitMarkers(std::filesystem::path runtime_dir);

  // Before a visit. False: skip the device in this pass (the marker is
  // removed, so the next pass visits it again).
  [[nodiscard]] bool begin(const Subdevice& device);
  // The visit ended, for any reason but the daemon's death.
  void end(const std::string& device_key);

  // Runs that ended during this device's visit, per its marker (0 = none).
  [[nodiscard]] int ends_in_a_row(const std::string& device_key) const;

 private:
  [[nodiscard]] std::string marker(const std::string& device_key) const;

  std::filesystem::path dir_;
  std::string prefix_;                   // dir_ and a slash
  std::set<std::string> left_behind_;    // device keys whose markers earlier runs left
};

}  // namespace otagw::subdev
