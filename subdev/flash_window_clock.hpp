#pragma once
// When a sub-device may be flashed: its flash windows (config/flash_window.hpp)
// against the wall clock in local time, and whether that clock can be
// trusted at all (a gateway without a real-time clock boots in 1970).
//
// The window functions are pure: local time is the process's time zone as
// tzset(3) reads it (TZ, else /etc/localtime), read again at every call.
// Windows are wall-clock times worked out per calendar day, so daylight saving
// time needs no special case in the caller: on the day the clocks go forward
// a start inside the skipped hour opens when the clock jumps past it (a window
// wholly inside the skipped hour does not open that day); on the day they go
// back, a window inside the repeated hour opens twice. A window never closes
// on a flash under way: nothing here says when a window ends.
//
// Not thread-safe (tzset, mktime): call from the io_context's thread only.
#include <chrono>
#include <vector>

#include "config/config.hpp"
#include "subdev/registry.hpp"

namespace otagw::subdev {

using WallTime = std::chrono::system_clock::time_point;

// The wall clock the scheduler asks; tests give it a ManualWallClock.
class WallClock {
 public:
  WallClock() = default;
  WallClock(const WallClock&) = delete;
  WallClock& operator=(const WallClock&) = delete;
  virtual ~WallClock() = default;

  [[nodiscard]] virtual WallTime now() const = 0;
  // True once the time is known to be right (synchronised by NTP or the like).
  [[nodiscard]] virtual bool synchronised() const = 0;
};

// The system's clock. synchronised(): the kernel's NTP state says so
// (ntp_adjtime(2) without STA_UNSYNC), or systemd-timesyncd has left
// /run/systemd/timesync/synchronized. Under the unit's ProtectClock=yes
// ntp_adjtime fails with EPERM and only the file counts.
class SystemWallClock final : public WallClock {
 public:
  [[nodiscard]] WallTime now() const override { return std::chrono::system_clock::now(); }
  [[nodiscard]] bool synchronised() const override;
};

// A clock a test sets: time and synchronisation change only when told.
class ManualWallClock final : public WallClock {
 public:
  explicit ManualWallClock(WallTime now = WallTime{}, bool synchronised = true)
      : now_(now), synchronised_(synchronised) {}

  [[nodiscard]] WallTime now() const override { return now_; }
  [[nodiscard]] bool synchronised() const override { return synchronised_; }

  void set(WallTime now) noexcept { now_ = now; }
  void advance(std::chrono::system_clock::duration by) noexcept { now_ += by; }
  void set_synchronised(bool synchronised) noexcept { synchronised_ = synchronised; }

 private:
  WallTime now_;
  bool synchronised_;
};

// Whether any of `windows` is open at `now` (local time, to the second). An
// empty list is always open.
[[nodiscard]] bool window_open(const std::vector<config::FlashWindow>& windows, WallTime now);

// `now` when a window is open; otherwise the first instant after `now` at
// which one opens (a whole second), looking up to 8 days ahead. A list that
// opens in none of them (cannot happen with valid windows in a real time
// zone) gives now + 8 days: a time to look again, never "never".
[[nodiscard]] WallTime next_window_opening(const std::vector<config::FlashWindow>& windows, WallTime now);

// The windows that apply to `device`: its own, else ota.flash_windows.
[[nodiscard]] const std::vector<config::FlashWindow>& windows_of(const Subdevice& device, const config::OtaConfig& ota);

// Whether a flash may start now: `windows` is empty (always open; the clock
// does not matter), or the clock is synchronised (unless
// `require_synced_clock` is false) and a window is open.
[[nodiscard]] bool may_flash_now(const std::vector<config::FlashWindow>& windows, bool require_synced_clock,
                                 const WallClock& clock);

}  // namespace otagw::subdev
