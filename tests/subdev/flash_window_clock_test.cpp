// Flash windows against the wall clock (subdev/flash_window_clock.hpp): open
// or not, and when one opens next, in UTC and across Central Europe's
// daylight saving time changes.
#include "subdev/flash_window_clock.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>

namespace otagw::subdev {
namespace {

using config::FlashWindow;
using Windows = std::vector<FlashWindow>;
using namespace std::chrono_literals;

// The process's TZ for one test, put back (or unset again) at the end.
class TimeZone {
 public:
  explicit TimeZone(const char* zone) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    ::setenv("TZ", zone, 1);
    ::tzset();
  }
  TimeZone(const TimeZone&) = delete;
  TimeZone& operator=(const TimeZone&) = delete;
  ~TimeZone() {
    if (old_) {
      ::setenv("TZ", old_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

 private:
  std::optional<std::string> old_;
};

WallTime utc(int year, int month, int day, int hour, int minute, int second = 0) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return WallTime(std::chrono::seconds(::timegm(&tm)));
}

FlashWindow window(std::string_view text) {
  const auto parsed = config::parse_flash_window(text);
  REQUIRE(parsed.has_value());
  return *parsed;
}

// Readable failures: the instant as UTC text.
std::string text(WallTime time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return out;
}

#define CHECK_TIME(actual, expected) CHECK(text(actual) == text(expected))

TEST_CASE("a window inside a day, in UTC", "[unit][windows]") {
  const TimeZone zone("UTC");
  const Windows night{window("02:00-05:00")};
  CHECK_FALSE(window_open(night, utc(2024, 6, 15, 1, 59, 59)));
  CHECK(window_open(night, utc(2024, 6, 15, 2, 0)));
  CHECK(window_open(night, utc(2024, 6, 15, 4, 59, 59)));
  CHECK_FALSE(window_open(night, utc(2024, 6, 15, 5, 0)));  // the end is not in it
  // A fraction of a second counts in its second.
  CHECK_FALSE(window_open(night, utc(2024, 6, 15, 2, 0) - 1ms));
  CHECK(window_open(night, utc(2024, 6, 15, 5, 0) - 1ms));

  CHECK_TIME(next_window_opening(night, utc(2024, 6, 15, 1, 0)), utc(2024, 6, 15, 2, 0));
  CHECK_TIME(next_window_opening(night, utc(2024, 6, 15, 5, 0)), utc(2024, 6, 16, 2, 0));  // tomorrow's
  CHECK_TIME(next_window_opening(night, utc(2024, 6, 15, 23, 59, 59)), utc(2024, 6, 16, 2, 0));
  CHECK_TIME(next_window_opening(night, utc(2024, 6, 15, 2, 0) - 1ms), utc(2024, 6, 15, 2, 0));
  // Open: now itself, to the nanosecond.
  const WallTime inside = utc(2024, 6, 15, 3, 0) + 123456789ns;
  CHECK(next_window_opening(night, inside) == inside);
}

TEST_CASE("a window across midnight, and one to 24:00", "[unit][windows]") {
  const TimeZone zone("UTC");
  const Windows late{window("22:00-02:00")};
  CHECK(window_open(late, utc(2024, 6, 15, 22, 0)));
  CHECK(window_open(late, utc(2024, 6, 15, 23, 59, 59)));
  CHECK(window_open(late, utc(2024, 6, 16, 0, 0)));
  CHECK(window_open(late, utc(2024, 6, 16, 1, 59, 59)));
  CHECK_FALSE(window_open(late, utc(2024, 6, 16, 2, 0)));
  CHECK_FALSE(window_open(late, utc(2024, 6, 16, 21, 59, 59)));
  CHECK_TIME(next_window_opening(late, utc(2024, 6, 16, 2, 0)), utc(2024, 6, 16, 22, 0));
  // Across the end of a month and a year.
  CHECK_TIME(next_window_opening(late, utc(2024, 12, 31, 12, 0)), utc(2024, 12, 31, 22, 0));
  CHECK(window_open(late, utc(2025, 1, 1, 1, 0)));

  const Windows evening{window("20:00-24:00")};
  CHECK(window_open(evening, utc(2024, 6, 15, 23, 59, 59)));
  CHECK_FALSE(window_open(evening, utc(2024, 6, 16, 0, 0)));
  CHECK_TIME(next_window_opening(evening, utc(2024, 6, 16, 0, 0)), utc(2024, 6, 16, 20, 0));
}

TEST_CASE("windows with seconds are exact to the second", "[unit][windows]") {
  const TimeZone zone("UTC");
  const Windows short_one{window("02:00:30-02:00:32")};
  CHECK_FALSE(window_open(short_one, utc(2024, 6, 15, 2, 0, 29)));
  CHECK(window_open(short_one, utc(2024, 6, 15, 2, 0, 30)));
  CHECK(window_open(short_one, utc(2024, 6, 15, 2, 0, 31)));
  CHECK_FALSE(window_open(short_one, utc(2024, 6, 15, 2, 0, 32)));
  CHECK_TIME(next_window_opening(short_one, utc(2024, 6, 15, 2, 0, 0)), utc(2024, 6, 15, 2, 0, 30));
  CHECK_TIME(next_window_opening(short_one, utc(2024, 6, 15, 2, 0, 32)), utc(2024, 6, 16, 2, 0, 30));
}

TEST_CASE("several windows: open in any, the next opening is the nearest", "[unit][windows]") {
  const TimeZone zone("UTC");
  const Windows several{window("12:00-13:00"), window("02:00-03:00"), window("02:30-04:00"), window("23:00-00:30")};
  CHECK(window_open(several, utc(2024, 6, 15, 2, 15)));
  CHECK(window_open(several, utc(2024, 6, 15, 3, 30)));  // the overlapping one goes on
  CHECK_FALSE(window_open(several, utc(2024, 6, 15, 4, 0)));
  CHECK(window_open(several, utc(2024, 6, 15, 0, 15)));
  CHECK_FALSE(window_open(several, utc(2024, 6, 15, 0, 30)));
  CHECK_TIME(next_window_opening(several, utc(2024, 6, 15, 0, 30)), utc(2024, 6, 15, 2, 0));
  CHECK_TIME(next_window_opening(several, utc(2024, 6, 15, 4, 0)), utc(2024, 6, 15, 12, 0));
  CHECK_TIME(next_window_opening(several, utc(2024, 6, 15, 13, 0)), utc(2024, 6, 15, 23, 0));
}

TEST_CASE("an empty list is always open", "[unit][windows]") {
  const TimeZone zone("UTC");
  const WallTime now = utc(2024, 6, 15, 13, 37) + 5ms;
  CHECK(window_open({}, now));
  CHECK(next_window_opening({}, now) == now);
}

TEST_CASE("windows are local time: the same window at another UTC instant in another zone", "[unit][windows]") {
  const TimeZone zone("JST-9");  // UTC+9, no DST: a POSIX TZ string needs no tzdata
  const Windows night{window("02:00-05:00")};
  CHECK(window_open(night, utc(2024, 6, 14, 17, 0)));  // 02:00 in Tokyo
  CHECK_FALSE(window_open(night, utc(2024, 6, 15, 2, 0)));
  CHECK_TIME(next_window_opening(night, utc(2024, 6, 15, 2, 0)), utc(2024, 6, 15, 17, 0));
}

TEST_CASE("daylight saving time in Europe/Berlin: a skipped start opens at the jump, a repeated hour opens twice",
          "[unit][windows]") {
  if (!std::filesystem::exists("/usr/share/zoneinfo/Europe/Berlin")) {
    WARN("no tzdata (/usr/share/zoneinfo/Europe/Berlin): the DST cases are skipped");
    return;
  }
  const TimeZone zone("Europe/Berlin");

  // 2024-03-31: at 01:00 UTC the clock goes from 02:00 CET to 03:00 CEST.
  const Windows from_half_past_two{window("02:30-04:00")};
  CHECK_FALSE(window_open(from_half_past_two, utc(2024, 3, 31, 0, 59, 59)));  // 01:59:59 CET
  CHECK(window_open(from_half_past_two, utc(2024, 3, 31, 1, 0)));             // 03:00 CEST
  CHECK_FALSE(window_open(from_half_past_two, utc(2024, 3, 31, 2, 0)));       // 04:00 CEST
  CHECK_TIME(next_window_opening(from_half_past_two, utc(2024, 3, 31, 0, 0)), utc(2024, 3, 31, 1, 0));
  // A window wholly inside the skipped hour opens the next day, at 02:00 CEST.
  const Windows skipped{window("02:00-03:00")};
  CHECK_TIME(next_window_opening(skipped, utc(2024, 3, 30, 23, 0)), utc(2024, 4, 1, 0, 0));
  // The day before the change, the same window at 02:00 CET.
  CHECK_TIME(next_window_opening(skipped, utc(2024, 3, 29, 23, 0)), utc(2024, 3, 30, 1, 0));
  // A window across midnight on the night of the change: 22:00 CET to 06:00 CEST, 7 real hours.
  const Windows overnight{window("22:00-06:00")};
  CHECK(window_open(overnight, utc(2024, 3, 31, 3, 59, 59)));
  CHECK_FALSE(window_open(overnight, utc(2024, 3, 31, 4, 0)));
  CHECK_TIME(next_window_opening(overnight, utc(2024, 3, 31, 4, 0)), utc(2024, 3, 31, 20, 0));  // 22:00 CEST

  // 2024-10-27: at 01:00 UTC the clock goes from 03:00 CEST back to 02:00 CET.
  const Windows two_to_three{window("02:00-03:00")};
  CHECK_TIME(next_window_opening(two_to_three, utc(2024, 10, 26, 23, 0)), utc(2024, 10, 27, 0, 0));  // 02:00 CEST
  CHECK(window_open(two_to_three, utc(2024, 10, 27, 0, 59, 59)));                                    // 02:59:59 CEST
  CHECK(window_open(two_to_three, utc(2024, 10, 27, 1, 30)));                                        // 02:30 CET
  CHECK_FALSE(window_open(two_to_three, utc(2024, 10, 27, 2, 0)));                                   // 03:00 CET
  // A short window inside the repeated hour opens a second time the same night.
  const Windows quarter{window("02:30-02:45")};
  CHECK_TIME(next_window_opening(quarter, utc(2024, 10, 27, 0, 0)), utc(2024, 10, 27, 0, 30));   // CEST
  CHECK_TIME(next_window_opening(quarter, utc(2024, 10, 27, 0, 50)), utc(2024, 10, 27, 1, 30));  // CET
  CHECK_TIME(next_window_opening(quarter, utc(2024, 10, 27, 1, 50)), utc(2024, 10, 28, 1, 30));  // next day, CET
  // Summer and winter: the same local window, an hour apart in UTC.
  const Windows night{window("02:00-05:00")};
  CHECK_TIME(next_window_opening(night, utc(2024, 7, 1, 12, 0)), utc(2024, 7, 2, 0, 0));
  CHECK_TIME(next_window_opening(night, utc(2024, 12, 1, 12, 0)), utc(2024, 12, 2, 1, 0));
}

TEST_CASE("a window opens only on a synchronised clock unless that is not required, and no windows need no clock",
          "[unit][windows]") {
  const TimeZone zone("UTC");
  const Windows night{window("02:00-05:00")};
  ManualWallClock clock(utc(2024, 6, 15, 3, 0), false);
  CHECK_FALSE(may_flash_now(night, true, clock));
  CHECK(may_flash_now(night, false, clock));
  CHECK(may_flash_now({}, true, clock));
  clock.set_synchronised(true);
  CHECK(may_flash_now(night, true, clock));
  clock.advance(2h);  // 05:00
  CHECK_FALSE(may_flash_now(night, true, clock));
  CHECK(may_flash_now({}, true, clock));
  clock.set(utc(2024, 6, 16, 2, 0));
  CHECK(may_flash_now(night, true, clock));
}

TEST_CASE("a device's own windows replace the global ones, an empty list of its own included", "[unit][windows]") {
  config::OtaConfig ota;
  ota.flash_windows = {window("02:00-05:00")};
  Subdevice device;
  CHECK(&windows_of(device, ota) == &ota.flash_windows);
  device.flash_windows = Windows{window("22:00-23:00")};
  CHECK(windows_of(device, ota) == Windows{window("22:00-23:00")});
  device.flash_windows = Windows{};
  CHECK(windows_of(device, ota).empty());
}

TEST_CASE("the system clock reads the time and answers whether it is synchronised", "[unit][windows]") {
  const SystemWallClock clock;
  const auto before = std::chrono::system_clock::now();
  const WallTime now = clock.now();
  CHECK(now >= before);
  CHECK(now - before < 5s);
  // Either answer is right on some machine; the call must not fail or hang.
  const bool synced = clock.synchronised();
  if (std::filesystem::exists("/run/systemd/timesync/synchronized")) CHECK(synced);
}

}  // namespace
}  // namespace otagw::subdev
