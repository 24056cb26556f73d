#include "daemon/logging.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "daemon/journal_sink.hpp"

namespace otagw::daemon {
namespace {

// %* in a pattern: the sd-daemon(3) priority prefix for the record's level.
class SyslogPriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const char prefix[] = {'<', static_cast<char>('0' + syslog_priority(msg.level)), '>'};
    dest.append(prefix, prefix + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<SyslogPriorityFlag>(); }
};

bool stderr_is_socket() {
  struct stat st {};
  return fstat(STDERR_FILENO, &st) == 0 && S_ISSOCK(st.st_mode);
}

spdlog::level::level_enum to_spdlog(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::trace: return spdlog::level::trace;
    case config::LogLevel::debug: return spdlog::level::debug;
    case config::LogLevel::info: return spdlog::level::info;
    case config::LogLevel::warn: return spdlog::level::warn;
    case config::LogLevel::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long device = 0;
  unsigned long long inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == device && static_cast<unsigned long long>(st.st_ino) == inode;
}

void setup_logging(config::LogLevel level) {
  std::shared_ptr<spdlog::logger> logger;
  if (stderr_is_journal() && stderr_is_socket()) {
    // journald's stream is a socket. The native protocol carries a device's
    // fields (OTAGW_DEVICE, OTAGW_TARGET_VERSION) that a stream line cannot.
    logger = std::make_shared<spdlog::logger>("otagwd", std::make_shared<JournalSink>());
  } else {
    logger = spdlog::stderr_color_mt("otagwd");
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    if (stderr_is_journal()) {
      // Named in JOURNAL_STREAM but no socket (a file standing in for the
      // stream): the stream form, as the journal sink falls back to.
      formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*%v");
    } else {
      formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
    }
    logger->set_formatter(std::move(formatter));
  }
  logger->set_level(to_spdlog(level));
  logger->flush_on(spdlog::level::trace);  // stderr: a line lost in a crash is the line that mattered
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace otagw::daemon
