#pragma once
// otagwctl's exit codes: a public contract (the unit's ExecReload, scripts,
// docs/control.md).
namespace otagw::ctl {

enum ExitCode : int {
  exit_ok = 0,           // done
  exit_refused = 1,      // otagwd answered with an error (a refused reload, an unknown device, ...)
  exit_usage = 2,        // bad command line, or a --config file without a usable control.socket
  exit_unreachable = 3,  // cannot connect, the connection closed before the answer, or no answer in time
};

}  // namespace otagw::ctl
