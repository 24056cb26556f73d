#pragma once
// otagwd's exit codes: a public contract (systemd units, scripts, docs/operations.md).
namespace otagw::daemon {

enum ExitCode : int {
  exit_ok = 0,                 // done (or stopped by SIGTERM/SIGINT)
  exit_config_error = 1,       // the configuration is invalid or unusable
  exit_usage = 2,              // bad command line
  exit_sign_in_refused = 3,    // the broker refused the gateway's credentials (--once)
  exit_broker_unreachable = 4, // no connection within mqtt.connect_retry_s (--once)
  exit_incomplete = 5,         // --once: the pass could not finish
  exit_job_failed = 6,         // --once: the pass finished, but a firmware job failed
  exit_state_locked = 7,       // another otagwd holds {ota.state_dir}/lock
  exit_internal_error = 70,    // a bug: a task died (EX_SOFTWARE); systemd restarts the service
};

}  // namespace otagw::daemon
