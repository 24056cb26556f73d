#pragma once
// Logging set-up: spdlog to stderr. Under systemd (JOURNAL_STREAM names our
// stderr) lines carry a "<N>" syslog priority prefix and no time stamp, since
// the journal adds its own and files the priority.
#include "config/config.hpp"

namespace otagw::daemon {

// True when stderr is connected to the journal (JOURNAL_STREAM's
// device:inode matches stderr's).
[[nodiscard]] bool stderr_is_journal();

void setup_logging(config::LogLevel level);

}  // namespace otagw::daemon
