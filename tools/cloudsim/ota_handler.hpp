#pragma once
// The OTA topics of the sub-devices (protocol.md §4).
#include <string_view>

#include "tools/cloudsim/sim_state.hpp"

namespace otagw::cloudsim {

// thing.ota.firmware.get: recorded per device (module absent = default); a
// query from a device that is not online is a violation but still answered.
// Unknown module, no firmware, or the device already reported the firmware's
// version on inform (the platform offers an installed firmware no more):
// data {}. Otherwise by the module's query
// mode: reply (the firmware, after delay_ms), no_reply (nothing), push (the
// firmware on /ota/device/upgrade/{pk}/{dn} after delay_ms, no reply). The
// gateway's own query gets data {}; an unknown device's is a violation and
// gets nothing.
void handle_firmware_get(SimState& state, const Inbound& in, std::string_view payload);

// /ota/device/inform: params.version (1..32 chars) and params.module recorded;
// the firmware's own version marks the module installed.
void handle_inform(SimState& state, const Inbound& in, std::string_view payload);

// /ota/device/progress: params.step (a string; a number is a violation but
// recorded), params.desc, params.module recorded.
void handle_progress(SimState& state, const Inbound& in, std::string_view payload);

}  // namespace otagw::cloudsim
