#pragma once
// When the gateway flashed, as far as the platform can tell, and how long
// flashes on two buses ran at the same time: the run's "flashes across
// buses" line, the report's flash_overlap and the scenario's
// `flashes_overlap` expectation (docs/simulator.md).
//
// The platform never sees a flash. A job's flash is taken as the span from
// its progress step 100 (image downloaded and verified) to the inform of its
// new version, or to its failure step. otagwd flashes one device at a time
// per bus, so a span that starts before the previous span on its bus has
// ended was waiting for the bus: it is cut to start where that one ended.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/cloudsim/device_registry.hpp"

namespace otagw::cloudsim {

struct FlashSpan {
  std::string label;  // "sub-0001", or "sub-0001/mcu" for another module than the default
  std::string bus;
  std::int64_t start_ms = 0;  // on the simulator's clock (t_ms)
  std::int64_t end_ms = 0;
};

// Every finished flash of every device module, cut per bus as above.
[[nodiscard]] std::vector<FlashSpan> flash_spans(const std::vector<DeviceState>& devices);

struct FlashOverlap {
  std::int64_t ms = 0;  // > 0
  FlashSpan first;      // the one that started first
  FlashSpan second;
};

// The longest time two spans on different buses ran at once; with `buses`
// (two names), only a span on one of them against a span on the other.
// nullopt when no two overlapped.
[[nodiscard]] std::optional<FlashOverlap> longest_overlap(const std::vector<FlashSpan>& spans,
                                                          const std::vector<std::string>& buses = {});

// "1.4 s (sub-0001 on uart0, sub-0003 on uart1)".
[[nodiscard]] std::string overlap_text(const FlashOverlap& overlap);

}  // namespace otagw::cloudsim
