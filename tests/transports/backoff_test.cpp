#include <catch2/catch.hpp>

#include "transports/backoff.hpp"

using otagw::transports::Backoff;
using namespace std::chrono_literals;

TEST_CASE("back-off doubles within jitter, caps, and resets", "[unit][backoff]") {
  Backoff backoff(1000ms, 60000ms, /*seed=*/42);
  std::chrono::milliseconds ceiling = 1000ms;
  for (int i = 0; i < 12; ++i) {
    const auto delay = backoff.next();
    CHECK(delay >= ceiling / 2);
    CHECK(delay <= ceiling);
    ceiling = std::min(ceiling * 2, std::chrono::milliseconds(60000));
  }
  for (int i = 0; i < 100; ++i) CHECK(backoff.next() <= 60000ms);  // no overflow after many failures

  backoff.reset();
  const auto first = backoff.next();
  CHECK(first >= 500ms);
  CHECK(first <= 1000ms);
}

TEST_CASE("back-off jitter spreads gateways apart", "[unit][backoff]") {
  Backoff a(1000ms, 60000ms, 1), b(1000ms, 60000ms, 2);
  bool differed = false;
  for (int i = 0; i < 5; ++i) differed = differed || a.next() != b.next();
  CHECK(differed);
}
