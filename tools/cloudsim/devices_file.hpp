#pragma once
// The devices file of the broker's auth plugin (tools/mqtt-auth/devices.h)
// for a scenario: the gateway, the one device that signs in to the broker.
#include <string>

#include "tools/cloudsim/scenario.hpp"

namespace otagw::cloudsim {

// "# ...\n{gpk} {gdn} {secret}\n". Contains the gateway's secret.
[[nodiscard]] std::string devices_file_text(const Scenario& scenario);

}  // namespace otagw::cloudsim
