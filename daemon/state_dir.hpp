#pragma once
// Start-up checks on ota.state_dir, made before anything else touches the
// state: one otagwd per state_dir (a second one would fight the first over the
// MQTT client id, the jobs and the plugins), and a directory that really takes
// writes (a read-only or full disk is otherwise only noticed mid-job).
#include <sys/types.h>

#include <filesystem>

#include "transports/result.hpp"

namespace otagw::daemon {

// flock(LOCK_EX) on {state_dir}/lock, held while this object lives (the fd
// stays open; O_CLOEXEC, so plugins never inherit it). The kernel releases it
// when the process dies, kill -9 included: no stale-lock clean-up exists.
// The file holds the holder's pid, for the second daemon's message.
class StateDirLock {
 public:
  // Errors: another process holds the lock: std::errc::resource_unavailable_try_again,
  // context names the directory, the holder's pid (when readable) and the lock
  // path; anything else (open, flock or writing the pid failed): its errno,
  // context naming the path. Blocking calls, for start-up only.
  [[nodiscard]] static Expected<StateDirLock> acquire(const std::filesystem::path& state_dir);

  StateDirLock(StateDirLock&& other) noexcept;
  StateDirLock& operator=(StateDirLock&& other) noexcept;
  StateDirLock(const StateDirLock&) = delete;
  StateDirLock& operator=(const StateDirLock&) = delete;
  ~StateDirLock();

 private:
  explicit StateDirLock(int fd) noexcept : fd_(fd) {}
  int fd_ = -1;
};

// A real write in `dir`: create a temporary file, write, fsync, close, unlink.
// Not a permission check: root passes access() on a read-only mount or a full
// disk. Errors: the failing call's errno, context naming the path.
[[nodiscard]] Expected<void> probe_writable(const std::filesystem::path& dir);

}  // namespace otagw::daemon
