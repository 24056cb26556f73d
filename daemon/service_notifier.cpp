#include "daemon/service_notifier.hpp"

#include <time.h>

#include <string>

#include <systemd/sd-daemon.h>

#include <spdlog/spdlog.h>

namespace otagw::daemon {

ServiceNotifier::ServiceNotifier(asio::any_io_executor loop) : timer_(std::move(loop)) {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) interval_ = std::chrono::microseconds(usec);
}

void ServiceNotifier::ready() { sd_notify(0, "READY=1"); }

void ServiceNotifier::reloading() {
  // MONOTONIC_USEC lets systemd 253+ (Type=notify-reload) tell this reload
  // from an earlier one; older versions ignore it.
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const auto usec = static_cast<unsigned long long>(now.tv_sec) * 1000000ULL +
                    static_cast<unsigned long long>(now.tv_nsec) / 1000ULL;
  sd_notify(0, ("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec)).c_str());
}

void ServiceNotifier::status(const std::string& text) { sd_notify(0, ("STATUS=" + text).c_str()); }

void ServiceNotifier::stopping() { sd_notify(0, "STOPPING=1"); }

void ServiceNotifier::start_watchdog(std::function<bool()> alive) {
  alive_ = std::move(alive);
  if (!interval_) return;
  spdlog::debug("systemd watchdog every {} ms", interval_->count() / 2000);
  sd_notify(0, "WATCHDOG=1");
  arm();
}

void ServiceNotifier::stop_watchdog() { timer_.cancel(); }

void ServiceNotifier::arm() {
  timer_.expires_after(*interval_ / 2);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    if (alive_ && !alive_()) {
      // Not fed again: systemd's watchdog takes the service down and restarts it.
      spdlog::critical("the sweep task is not alive: the systemd watchdog is no longer fed");
      return;
    }
    sd_notify(0, "WATCHDOG=1");
    arm();
  });
}

}  // namespace otagw::daemon
