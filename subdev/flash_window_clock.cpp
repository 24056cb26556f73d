#include "subdev/flash_window_clock.hpp"

#include <sys/stat.h>
#include <sys/timex.h>

#include <algorithm>
#include <ctime>
#include <optional>

namespace otagw::subdev {

namespace {

using std::chrono::seconds;

constexpr std::time_t kDay = 86400;
constexpr int kDaysAhead = 8;

std::time_t to_time_t(WallTime time) {
  // Floor, not truncation, so a time just before a second counts in it.
  return static_cast<std::time_t>(std::chrono::floor<seconds>(time.time_since_epoch()).count());
}

WallTime from_time_t(std::time_t time) { return WallTime(seconds(time)); }

std::optional<std::tm> local(std::time_t time) {
  std::tm tm{};
  if (localtime_r(&time, &tm) == nullptr) return std::nullopt;
  return tm;
}

int seconds_of_day(const std::tm& tm) { return tm.tm_hour * 3600 + tm.tm_min * 60 + std::min(tm.tm_sec, 59); }

bool contains(const config::FlashWindow& window, int second) {
  if (window.crosses_midnight()) return second >= window.start_s || second < window.end_s;
  return second >= window.start_s && second < window.end_s;
}

bool open_at(const std::vector<config::FlashWindow>& windows, std::time_t time) {
  if (windows.empty()) return true;
  const auto tm = local(time);
  if (!tm) return false;
  const int second = seconds_of_day(*tm);
  return std::any_of(windows.begin(), windows.end(),
                     [second](const config::FlashWindow& window) { return contains(window, second); });
}

long utc_offset(std::time_t time) {
  const auto tm = local(time);
  return tm ? tm->tm_gmtoff : 0;
}

// The instants in (from, to] at which the zone's offset to UTC changes (the
// clock jumps): a jump can land inside a window that then opens without its
// start ever showing on the clock. Sampled every 6 hours (zones change at
// most twice a year, never twice in 6 hours), each change found to the
// second by bisection.
std::vector<std::time_t> offset_changes(std::time_t from, std::time_t to) {
  std::vector<std::time_t> changes;
  constexpr std::time_t kStep = 6 * 3600;
  std::time_t before = from;
  long before_offset = utc_offset(before);
  while (before < to) {
    const std::time_t after = std::min(before + kStep, to);
    const long after_offset = utc_offset(after);
    if (after_offset != before_offset) {
      // Invariant: the offset at `low` is the old one, at `high` the new one.
      std::time_t low = before;
      std::time_t high = after;
      while (high - low > 1) {
        const std::time_t middle = low + (high - low) / 2;
        (utc_offset(middle) == after_offset ? high : low) = middle;
      }
      changes.push_back(high);
    }
    before = after;
    before_offset = after_offset;
  }
  return changes;
}

// Every instant at which the local clock shows `second_of_day` on the
// calendar day `day` (a normalised tm holding that date): none when the
// time is skipped, two when it is repeated. mktime is asked with each DST
// guess and every answer checked against the clock: its guess for a skipped
// or repeated time differs between C libraries.
void instants_showing(const std::tm& day, int second_of_day, std::vector<std::time_t>& out) {
  for (const int isdst : {-1, 0, 1}) {
    std::tm wanted = day;
    wanted.tm_hour = second_of_day / 3600;
    wanted.tm_min = second_of_day / 60 % 60;
    wanted.tm_sec = second_of_day % 60;
    wanted.tm_isdst = isdst;
    std::tm asked = wanted;
    const std::time_t time = std::mktime(&asked);
    if (time == static_cast<std::time_t>(-1)) continue;
    const auto shown = local(time);
    if (shown && shown->tm_year == day.tm_year && shown->tm_mon == day.tm_mon && shown->tm_mday == day.tm_mday &&
        seconds_of_day(*shown) == second_of_day) {
      out.push_back(time);
    }
  }
}

// The calendar day `offset` days after the date in `base`, normalised by
// mktime from its noon (a time every day has, whatever the clock does at night).
std::optional<std::tm> calendar_day(const std::tm& base, int offset) {
  std::tm day = base;
  day.tm_mday += offset;
  day.tm_hour = 12;
  day.tm_min = 0;
  day.tm_sec = 0;
  day.tm_isdst = -1;
  if (std::mktime(&day) == static_cast<std::time_t>(-1)) return std::nullopt;
  return day;
}

bool exists(const char* path) {
  struct stat info {};
  return ::stat(path, &info) == 0;
}

}  // namespace

bool SystemWallClock::synchronised() const {
  // modes = 0 only reads; no privilege needed (but a seccomp filter may refuse it).
  struct timex state {};
  const int result = ::ntp_adjtime(&state);
  if (result != -1 && result != TIME_ERROR && (state.status & STA_UNSYNC) == 0) return true;
  return exists("/run/systemd/timesync/synchronized");
}

bool window_open(const std::vector<config::FlashWindow>& windows, WallTime now) {
  ::tzset();
  return open_at(windows, to_time_t(now));
}

WallTime next_window_opening(const std::vector<config::FlashWindow>& windows, WallTime now) {
  ::tzset();
  const std::time_t from = to_time_t(now);
  if (open_at(windows, from)) return now;
  const std::time_t until = from + kDaysAhead * kDay;

  // The first opening is either an instant the clock shows a window's start,
  // or a jump of the clock into a window: every such instant is a candidate,
  // and the earliest one that is open is the answer.
  std::vector<std::time_t> candidates = offset_changes(from, until);
  if (const auto today = local(from)) {
    for (int offset = 0; offset <= kDaysAhead; ++offset) {
      const auto day = calendar_day(*today, offset);
      if (!day) continue;
      for (const config::FlashWindow& window : windows) instants_showing(*day, window.start_s, candidates);
    }
  }
  std::optional<std::time_t> first;
  for (const std::time_t candidate : candidates) {
    if (candidate <= from || candidate > until || (first && candidate >= *first)) continue;
    if (open_at(windows, candidate)) first = candidate;
  }
  return first ? from_time_t(*first) : from_time_t(until);
}

const std::vector<config::FlashWindow>& windows_of(const Subdevice& device, const config::OtaConfig& ota) {
  return device.flash_windows ? *device.flash_windows : ota.flash_windows;
}

bool may_flash_now(const std::vector<config::FlashWindow>& windows, bool require_synced_clock, const WallClock& clock) {
  if (windows.empty()) return true;
  if (require_synced_clock && !clock.synchronised()) return false;
  return window_open(windows, clock.now());
}

}  // namespace otagw::subdev
