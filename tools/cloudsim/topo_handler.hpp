#pragma once
// thing.topo.add and thing.topo.delete on /sys/{gpk}/{gdn}/thing/topo/...
// (protocol.md §3.1, §3.3).
#include <string_view>

#include "tools/cloudsim/sim_state.hpp"

namespace otagw::cloudsim {

// All entries valid (known device, clientId {pk}.{dn}, right sign): 200, data
// [{"productKey","deviceName"}], topology present for each. Otherwise nothing
// is added and the request fails whole with the first failing entry's code
// (460 bad fields or sign, 6100 unknown device), data listing every failing
// entry. More than limits.max_batch_topo entries, or none: 460.
void handle_topo_add(SimState& state, const Inbound& in, std::string_view payload);

// params [{"productKey","deviceName"}]. Every entry a known device with its
// topology present: 200, data {}, the topology of each gone and the device
// offline (a later login is refused with 6401 until it is added again).
// Otherwise nothing is deleted and the request fails whole with the first
// failing entry's code (460 fields, 6100 unknown device, 6401 no topology to
// delete), data listing every failing entry. The platform documents no batch
// limit for delete: more than limits.max_batch_login entries (otagwd's batch,
// the logout limit), or none: 460.
void handle_topo_delete(SimState& state, const Inbound& in, std::string_view payload);

}  // namespace otagw::cloudsim
