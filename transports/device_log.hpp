#pragma once
// Log lines about one sub-device. Each call logs exactly like the spdlog call
// of the same name (same text, same logger) and, for that one record, makes
// the device ("PK/DN") and the target version (empty = none) known to the
// sinks through current(). Under systemd the daemon's journal sink files them
// as the fields OTAGW_DEVICE and OTAGW_TARGET_VERSION, so that
// `journalctl -u otagwd OTAGW_DEVICE=PK/DN` shows one device's history.
//
// The fields are set around the one synchronous spdlog call and restored
// after it, never for a scope: the coroutines of several devices interleave on
// the loop thread, and a scope spanning a co_await would tag another device's
// lines. Header-only (the fuzz targets compile plugin_output.cpp without
// otagw_transports); callers link spdlog::spdlog.
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

namespace otagw::device_log {

struct Fields {
  std::string_view device;          // "PK/DN", as Subdevice::display_name(); empty = none
  std::string_view target_version;  // empty = the line is about no version
};

namespace detail {
inline thread_local const Fields* current_fields = nullptr;
}  // namespace detail

// The fields of the device_log call running on this thread, or nullptr while
// a line about no single device is logged. For sinks; valid during sink_it_.
[[nodiscard]] inline const Fields* current() noexcept { return detail::current_fields; }

template <typename... Args>
void log(spdlog::level::level_enum level, std::string_view device, std::string_view target_version,
         spdlog::format_string_t<Args...> format, Args&&... args) {
  const Fields fields{device, target_version};
  // Restored also if a sink throws through spdlog's own handler.
  struct Restore {
    const Fields* outer;
    ~Restore() { detail::current_fields = outer; }
  } restore{std::exchange(detail::current_fields, &fields)};
  spdlog::log(level, format, std::forward<Args>(args)...);
}

template <typename... Args>
void debug(std::string_view device, std::string_view target_version, spdlog::format_string_t<Args...> format,
           Args&&... args) {
  log(spdlog::level::debug, device, target_version, format, std::forward<Args>(args)...);
}

template <typename... Args>
void info(std::string_view device, std::string_view target_version, spdlog::format_string_t<Args...> format,
          Args&&... args) {
  log(spdlog::level::info, device, target_version, format, std::forward<Args>(args)...);
}

template <typename... Args>
void warn(std::string_view device, std::string_view target_version, spdlog::format_string_t<Args...> format,
          Args&&... args) {
  log(spdlog::level::warn, device, target_version, format, std::forward<Args>(args)...);
}

template <typename... Args>
void error(std::string_view device, std::string_view target_version, spdlog::format_string_t<Args...> format,
           Args&&... args) {
  log(spdlog::level::err, device, target_version, format, std::forward<Args>(args)...);
}

}  // namespace otagw::device_log
