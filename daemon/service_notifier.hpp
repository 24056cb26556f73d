#pragma once
// sd_notify(3) for Type=notify: READY=1, STATUS= lines, STOPPING=1 and the
// watchdog. Every call is a no-op when not started by systemd (no
// NOTIFY_SOCKET), so the daemon runs the same from a shell.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "transports/asio.hpp"

namespace otagw::daemon {

class ServiceNotifier {
 public:
  explicit ServiceNotifier(asio::any_io_executor loop);

  void ready();
  // A reload is under way (READY=1 again when it is done, applied or refused).
  void reloading();
  void status(const std::string& text);
  void stopping();

  // Starts WATCHDOG=1 pings at half of WatchdogSec when systemd asked for them.
  // The pings come from the loop, so a stalled loop is what the watchdog sees;
  // and only while `alive()` says the work the daemon exists for still runs.
  void start_watchdog(std::function<bool()> alive);
  void stop_watchdog();

  [[nodiscard]] std::optional<std::chrono::microseconds> watchdog_interval() const noexcept { return interval_; }

 private:
  void arm();

  asio::steady_timer timer_;
  std::function<bool()> alive_;
  std::optional<std::chrono::microseconds> interval_;
};

}  // namespace otagw::daemon
