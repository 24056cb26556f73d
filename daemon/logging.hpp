#pragma once
// Logging set-up: spdlog to stderr. Under systemd (JOURNAL_STREAM names our
// stderr, journald's stream socket) each record goes to the journal in its
// native protocol (JournalSink): the priority, and for a line about a
// sub-device the fields OTAGW_DEVICE and OTAGW_TARGET_VERSION. A stderr named
// in JOURNAL_STREAM that is no socket gets lines with a "<N>" syslog priority
// prefix and no time stamp, the form the journal's stream files.
#include "config/config.hpp"

namespace otagw::daemon {

// True when stderr is connected to the journal (JOURNAL_STREAM's
// device:inode matches stderr's).
[[nodiscard]] bool stderr_is_journal();

void setup_logging(config::LogLevel level);

}  // namespace otagw::daemon
