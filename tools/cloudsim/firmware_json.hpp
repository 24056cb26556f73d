#pragma once
// The firmware object of a query reply or an upgrade push (protocol.md §4).
#include <string_view>

#include <nlohmann/json.hpp>

#include "tools/cloudsim/scenario.hpp"

namespace otagw::cloudsim {

// {"size","version","url","signMethod","sign"} plus "md5" (= sign) for an MD5
// package, "module" unless `module` is the default one, "isDiff" and "extData"
// when the scenario gives them.
[[nodiscard]] nlohmann::json firmware_json(const Firmware& firmware, std::string_view module);

}  // namespace otagw::cloudsim
