// A flash window's text: what parses, what is refused and why, the canonical form.
#include "config/flash_window.hpp"

#include <catch2/catch.hpp>

namespace otagw::config {
namespace {

FlashWindow parse_ok(std::string_view text) {
  INFO(text);
  const auto window = parse_flash_window(text);
  REQUIRE(window.has_value());
  return *window;
}

TEST_CASE("a window inside a day, across midnight, to midnight and with seconds", "[unit]") {
  CHECK(parse_ok("02:00-05:00") == FlashWindow{2 * 3600, 5 * 3600});
  CHECK_FALSE(parse_ok("02:00-05:00").crosses_midnight());
  CHECK(parse_ok("22:00-02:00") == FlashWindow{22 * 3600, 2 * 3600});
  CHECK(parse_ok("22:00-02:00").crosses_midnight());
  CHECK(parse_ok("20:00-24:00") == FlashWindow{20 * 3600, kSecondsPerDay});
  CHECK(parse_ok("20:00-24:00:00") == FlashWindow{20 * 3600, kSecondsPerDay});
  CHECK(parse_ok("00:00-24:00") == FlashWindow{0, kSecondsPerDay});
  CHECK(parse_ok("23:59:59-00:00") == FlashWindow{86399, 0});
  CHECK(parse_ok("02:00:30-02:01") == FlashWindow{7230, 7260});
  CHECK(parse_ok("02:00-02:00:01") == FlashWindow{7200, 7201});
}

TEST_CASE("to_string gives the canonical text back, seconds only where set", "[unit]") {
  CHECK(to_string(FlashWindow{2 * 3600, 5 * 3600}) == "02:00-05:00");
  CHECK(to_string(FlashWindow{22 * 3600 + 30 * 60, 90}) == "22:30-00:01:30");
  CHECK(to_string(FlashWindow{0, kSecondsPerDay}) == "00:00-24:00");
  CHECK(to_string(parse_ok("02:00:00-05:00:00")) == "02:00-05:00");
  for (const std::string_view text :
       {"02:00-05:00", "22:00-02:00", "20:00-24:00", "02:00:30-02:01", "23:59:59-00:00"}) {
    CHECK(to_string(parse_ok(text)) == text);
  }
}

TEST_CASE("malformed window texts are refused with the text and the expected form", "[unit]") {
  for (const std::string_view text :
       {"", "02:00", "02:00-", "-05:00", "2:00-5:00", "02:00 - 05:00", "02.00-05.00", "0200-0500", "25:00-26:00",
        "02:60-03:00", "02:00:60-03:00", "24:01-02:00", "02:00-24:00:01", "02:00-05:00-06:00", "ab:cd-ef:gh",
        "02:00:0-03:00", "+2:00-05:00", "02:00-05:00 "}) {
    INFO("'" << text << "'");
    const auto window = parse_flash_window(text);
    REQUIRE_FALSE(window.has_value());
    CHECK_THAT(window.error(), Catch::Contains("expected HH:MM-HH:MM"));
    CHECK_THAT(window.error(), Catch::StartsWith("invalid window '"));
  }
}

TEST_CASE("24:00 only as an end, and a window of no length is refused", "[unit]") {
  const auto midnight_start = parse_flash_window("24:00-02:00");
  REQUIRE_FALSE(midnight_start.has_value());
  CHECK_THAT(midnight_start.error(), Catch::Contains("only as the end"));
  for (const std::string_view text : {"02:00-02:00", "00:00-00:00", "02:00:00-02:00", "00:00-00:00:00"}) {
    INFO(text);
    const auto empty = parse_flash_window(text);
    REQUIRE_FALSE(empty.has_value());
    CHECK_THAT(empty.error(), Catch::Contains("the same time"));
  }
}

}  // namespace
}  // namespace otagw::config
