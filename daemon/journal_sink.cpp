#include "daemon/journal_sink.hpp"

#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

// The entry's code location would be this file's: useless in every entry.
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "transports/log_text.hpp"

namespace otagw::daemon {

int syslog_priority(spdlog::level::level_enum level) noexcept {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return 7;
    case spdlog::level::info: return 6;
    case spdlog::level::warn: return 4;
    case spdlog::level::err: return 3;
    case spdlog::level::critical: return 2;
    default: return 6;
  }
}

std::vector<std::string> journal_fields(std::string_view message, spdlog::level::level_enum level,
                                        const device_log::Fields* device) {
  std::vector<std::string> fields;
  fields.reserve(5);
  fields.push_back("MESSAGE=" + std::string(message));
  fields.push_back("PRIORITY=" + std::to_string(syslog_priority(level)));
  fields.emplace_back("SYSLOG_IDENTIFIER=otagwd");
  if (device != nullptr && !device->device.empty()) {
    fields.push_back("OTAGW_DEVICE=" + log_text(device->device));
    if (!device->target_version.empty()) fields.push_back("OTAGW_TARGET_VERSION=" + log_text(device->target_version));
  }
  return fields;
}

void JournalSink::sink_it_(const spdlog::details::log_msg& msg) {
  const std::string_view message(msg.payload.data(), msg.payload.size());
  const std::vector<std::string> fields = journal_fields(message, msg.level, device_log::current());
  std::vector<iovec> entry;
  entry.reserve(fields.size());
  for (const std::string& field : fields) entry.push_back(iovec{const_cast<char*>(field.data()), field.size()});
  if (sd_journal_sendv(entry.data(), static_cast<int>(entry.size())) >= 0) return;

  std::string line = "<" + std::to_string(syslog_priority(msg.level)) + ">" + std::string(message) + "\n";
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t written = ::write(STDERR_FILENO, rest.data(), rest.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
}

}  // namespace otagw::daemon
