#pragma once
// How the parts of otagwd's status are said in words, the same in the
// table, the live view and the plain watch lines. Every daemon-supplied
// string comes out printable (text_cells.hpp).
#include <string>

#include "tools/otagwctl/status_view.hpp"
#include "tools/otagwctl/text_cells.hpp"

namespace otagw::ctl {

// "otagwd 0.4.0 (pid 812)"
[[nodiscard]] std::string daemon_phrase(const DaemonView& daemon);
// "connected to HOST:443 since 2026-12-07 15:02:12", "connecting to HOST:443 (DETAIL)", ...
[[nodiscard]] std::string connection_phrase(const ConnectionView& connection, TimeZone zone);
// "pass 3 running since T: 41 of 120 visited", "pass 3 ended T: SUMMARY; next at T", "no pass yet; ..."
[[nodiscard]] std::string pass_phrase(const PassView& pass, TimeZone zone);
// "-" for the default module, else the module.
[[nodiscard]] std::string module_phrase(const DeviceRow& row);
// The download's or the flash's progress and the target: "42% -> 1.1.0", "-> 1.1.0", "-"
[[nodiscard]] std::string progress_phrase(const DeviceRow& row);
// The last result, with the error when there is one: "offer 1.1.0 failed: download failed: HTTP 404"
[[nodiscard]] std::string result_phrase(const DeviceRow& row);

}  // namespace otagw::ctl
