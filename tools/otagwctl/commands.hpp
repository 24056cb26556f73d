#pragma once
// otagwctl's commands: each asks otagwd, prints the outcome for people (or
// JSON for scripts) and returns the exit code (exit_code.hpp).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

namespace otagw::ctl {

struct Target {
  std::filesystem::path socket;
  std::chrono::milliseconds timeout;  // for the answer, connecting included
};

// Where the command writes: stdout for the outcome, stderr for failures.
struct Streams {
  std::FILE* out = stdout;
  std::FILE* err = stderr;
};

// `status`: the table (`json`: the status object, pretty-printed with two
// spaces, in the daemon's key order).
int run_status(const Target& target, bool json, Streams streams);

// `status --watch` until SIGINT or SIGTERM (exit 0) or until the daemon goes
// away (exit 3): live on a terminal, plain lines otherwise; `json`: the
// daemon's answer and event lines as they arrive (JSON lines).
int run_watch(const Target& target, bool json, Streams streams);

// `sweep`: a pass now (or the one running goes on).
int run_sweep(const Target& target, Streams streams);

// `check PK/DN`: that device is visited next (or after the checks queued before it).
int run_check(const Target& target, const std::string& device, Streams streams);

// `reload`: waits for the outcome; a refused config's errors go to stderr, one a line.
int run_reload(const Target& target, Streams streams);

}  // namespace otagw::ctl
