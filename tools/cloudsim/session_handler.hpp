#pragma once
// Sub-device sessions on /ext/session/{gpk}/{gdn}/combine/... (protocol.md §3.2).
#include <string_view>

#include "tools/cloudsim/sim_state.hpp"

namespace otagw::cloudsim {

// combine/batch_login (params.deviceList, params.signMethod) and the single
// combine/login (params = one device). Over limits.login_per_s requests in
// the last second: 429, nothing looked at. Then per device, in this order:
// fields (460), known (6100), topology present (6401), clientId and sign
// (460), not `login: refuse` (6204). The batch succeeds or fails whole, with
// the first failing device's code and data listing the failing devices; on
// success every device is online.
void handle_login(SimState& state, const Inbound& in, std::string_view payload, bool batch);

// combine/batch_logout, params [{"productKey","deviceName"}]: offline, 200.
void handle_batch_logout(SimState& state, const Inbound& in, std::string_view payload);

// The gateway's MQTT connection ended ($otagw/disconnected/{gpk}/{gdn} from the broker
// plugin, or the simulator lost the broker itself): as on the platform, every sub-device
// is offline until the gateway logs it in again. Another device's end changes nothing.
void handle_device_disconnected(SimState& state, const Inbound& in);
void take_all_offline(SimState& state, std::string_view why);

}  // namespace otagw::cloudsim
