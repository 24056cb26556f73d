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

// /ota/device/request/{pk}/{dn}, the Linkkit v3 SDKs' query
// {"id":"0","params":{"version":"1.0.0"}}: recorded as a query of the default
// module and, like an inform, its version. If that module has firmware not yet
// installed, by its query mode: reply (the firmware in the push's shape
// {"code":"1000","message":"success","id":<n>,"data":{...}} on the SAME topic,
// after delay_ms), push (that message on /ota/device/upgrade/{pk}/{dn}),
// no_reply (nothing). No offer: no message at all. The simulator receives its
// own offer back on that topic: a message carrying "code" is not a request and
// is ignored.
void handle_legacy_request(SimState& state, const Inbound& in, std::string_view payload);

}  // namespace otagw::cloudsim
