#pragma once
// Which plugin processes a daemon left running when it died, so that the next
// start can end them before it touches the same devices again.
//
// Each plugin run is recorded while it lasts: runtime_dir/plugin-runs/<pgid>.json
// (ota.runtime_dir: /run/otagw under the unit, else state_dir/run)
// names the device, the command, the process group (the plugin's pid), the
// leader's start time (/proc/<pid>/stat, clock ticks since boot) and the
// boot id. A plugin's leader dies with the daemon (PR_SET_PDEATHSIG), but
// what it started in its group lives on: outside systemd nothing else ends
// it (under the unit, KillMode=mixed ends the cgroup), and it may still be
// writing to the device the restarted daemon is about to flash.
//
// The records are written without fsync: they only matter within one boot,
// and a power loss ends the processes they name. A kill -9 keeps them (the
// page cache survives the process).
//
// Threading: the loop thread (small local writes, no fsync; see above).
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace otagw::subdev {

// The start time of a process (field 22 of /proc/<pid>/stat: clock ticks
// after boot), which tells it from a later process with the same pid.
[[nodiscard]] std::optional<std::uint64_t> process_start_ticks(pid_t pid) noexcept;

// /proc/sys/kernel/random/boot_id, or "" when it cannot be read.
[[nodiscard]] std::string current_boot_id() noexcept;

class PluginRunRecords {
 public:
  explicit PluginRunRecords(std::filesystem::path dir);

  // At start, before any plugin runs and with state_dir locked: SIGKILLs
  // every process group a record names that still runs in this boot (its
  // leader, when alive, must be the recorded process), waits briefly for
  // it to go, logs what was ended, and removes every record. Returns how
  // many processes were ended.
  std::size_t end_orphans() noexcept;

  // A plugin process was started (it leads group `pgid`). A failed write is
  // logged; the run goes on (the death signal still covers the leader).
  void started(pid_t pgid, std::string_view device_key, std::string_view command) noexcept;
  // The run ended and its group is gone.
  void ended(pid_t pgid) noexcept;

  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }

 private:
  [[nodiscard]] std::filesystem::path record_path(pid_t pgid) const;

  std::filesystem::path dir_;
  std::string boot_id_;
};

}  // namespace otagw::subdev
