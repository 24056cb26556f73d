#pragma once
// The run's report (README.md "Report"), written once at exit. Its shape is a
// contract with the tests and the benchmark: add fields, never rename.
#include <nlohmann/json.hpp>

#include "tools/cloudsim/sim_state.hpp"

namespace otagw::cloudsim {

[[nodiscard]] nlohmann::json make_report(const SimState& state, Clock::time_point now);

}  // namespace otagw::cloudsim
