#pragma once
// otagwd's log in the journal's native protocol (sd_journal_sendv): each
// record one entry with its priority and, for a line about a sub-device
// (device_log), the fields OTAGW_DEVICE=PK/DN and OTAGW_TARGET_VERSION, which
// a line on stderr cannot carry.
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/sinks/base_sink.h>

#include "transports/device_log.hpp"

namespace otagw::daemon {

// The syslog priority (0..7, sd-daemon(3)) of a spdlog level.
[[nodiscard]] int syslog_priority(spdlog::level::level_enum level) noexcept;

// The fields of one journal entry, each "NAME=value": MESSAGE (the text as
// is), PRIORITY, SYSLOG_IDENTIFIER=otagwd and, when `device` names one,
// OTAGW_DEVICE and (unless empty) OTAGW_TARGET_VERSION. Those two values are
// made one printable line (log_text): the names and versions are validated,
// but a device named by a cloud topic is not, and a value with a newline or
// NUL could not be matched by a `journalctl FIELD=value` a person types.
[[nodiscard]] std::vector<std::string> journal_fields(std::string_view message, spdlog::level::level_enum level,
                                                      const device_log::Fields* device);

// Sends each record with sd_journal_sendv. When the journal's socket does not
// take it (journald restarting), the record goes to stderr as "<N>text"
// instead, where the journal's stream still files its priority: a line lost
// is the line that mattered.
class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}
};

}  // namespace otagw::daemon
