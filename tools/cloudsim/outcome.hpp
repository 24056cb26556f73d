#pragma once
// What became of each device module, read from what the platform recorded
// (informs, queries, offers, progress): the rows of the live table, the
// per-device results of the report, and the scenario's expectations judged.
// Pure functions over SimState.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tools/cloudsim/sim_state.hpp"

namespace otagw::cloudsim {

enum class Result {
  not_seen,  // never queried
  current,   // queried, nothing to offer (no firmware, or it reported the firmware's version)
  no_reply,  // queried; the scenario does not answer (query: no_reply)
  offered,   // the firmware was offered; no final word yet
  failed,    // a failure step (-1..-4) was the last progress reported
  upgraded,  // offered, then the device reported the firmware's version on inform
};

[[nodiscard]] std::string_view to_string(Result result) noexcept;

// What is going on now, for the live table. The platform sees a job's
// download (progress 0..99); after step 100 the device is flashing until it
// informs its new version, unless another device on its bus reached step 100
// earlier and is still at it: otagwd flashes one device at a time per bus,
// so this one waits for the bus (bus_wait, module_outcomes only).
enum class Phase { waiting, informed, offered, downloading, flashing, bus_wait, done };

[[nodiscard]] bool is_running(Phase phase) noexcept;  // offered .. bus_wait

struct ModuleOutcome {
  std::string product_key;
  std::string device_name;
  std::string module;        // "default" for the default module
  std::string bus;           // the device's bus in otagwd's config ("default" when none)
  std::string from;          // the first version reported on inform; "" if none
  std::string version;       // the last version reported on inform; "" if none
  std::string to;            // the firmware's version; "" when there is none
  int progress = -1;         // the last step 0..100 since the last offer; -1 none
  std::int64_t downloaded_ms = -1;  // t_ms of the step 100 the job is at; -1 when not at 100
  std::string failure_step;  // the last progress step when it is a failure ("-3"), else ""
  std::string failure_desc;
  std::uint64_t offers = 0;
  Result result = Result::not_seen;
  Phase phase = Phase::waiting;

  // "sub-0001", or "sub-0001/mcu" for another module than the default.
  [[nodiscard]] std::string label() const;
};

// One row per module the scenario gives each device (the default module for
// a device with none), in scenario order; flashing rows of one bus but the
// first to reach step 100 are bus_wait.
[[nodiscard]] std::vector<ModuleOutcome> module_outcomes(const SimState& state);
[[nodiscard]] ModuleOutcome module_outcome(const DeviceState& device, std::string_view module);

struct ExpectationResult {
  Expectation expectation;
  bool met = false;
  std::string detail;  // what was found instead, when not met
};

[[nodiscard]] std::vector<ExpectationResult> judge_expectations(const SimState& state);

// What an expectation asks, for people: "sub-0001: version 2.0.0 result
// upgraded", "flashes on uart0 and uart1 overlapped (over 0.5 s)".
[[nodiscard]] std::string expectation_text(const Expectation& expectation);

}  // namespace otagw::cloudsim
