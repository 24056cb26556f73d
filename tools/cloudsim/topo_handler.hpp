#pragma once
// thing.topo.add on /sys/{gpk}/{gdn}/thing/topo/add (protocol.md §3.1).
#include <string_view>

#include "tools/cloudsim/sim_state.hpp"

namespace otagw::cloudsim {

// All entries valid (known device, clientId {pk}.{dn}, right sign): 200, data
// [{"productKey","deviceName"}], topology present for each. Otherwise nothing
// is added and the request fails whole with the first failing entry's code
// (460 bad fields or sign, 6100 unknown device), data listing every failing
// entry. More than limits.max_batch_topo entries, or none: 460.
void handle_topo_add(SimState& state, const Inbound& in, std::string_view payload);

}  // namespace otagw::cloudsim
