#pragma once
// The scheduler: when a job may use what it needs, beyond its download slot
// (image_fetcher.hpp) and its staging room (staged_images.hpp).
//
// - Buses: on each bus (a sub-device's `bus`, "default" when it names none)
//   at most one plugin call that talks to devices runs at a time: a flash
//   with its confirmation, a version probe. Turns are granted in the order
//   asked. Buses work in parallel.
// - Flash windows: a verified job flashes only while one of its device's
//   windows is open (local time), and windows open only once the system
//   clock is synchronised (unless ota.require_synced_clock is false). A
//   window that closes never cuts a flash already running.
// - Jobs in flight, one per device at most, by device key: the sweep does
//   not visit their devices for new offers, and --once waits for them.
//
// Loop thread only.
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/flash_window.hpp"
#include "subdev/flash_window_clock.hpp"
#include "transports/async_semaphore.hpp"
#include "transports/async_signal.hpp"

namespace otagw::subdev {

class JobScheduler {
 public:
  // `clock` outlives the scheduler.
  JobScheduler(asio::any_io_executor loop, const WallClock& clock);

  // ---- buses
  // The bus's turn; empty once stop() was called.
  asio::awaitable<transports::AsyncSemaphore::Permit> take_bus(const std::string& bus);
  [[nodiscard]] bool bus_free(const std::string& bus);

  // ---- flash windows
  // Whether a job may start flashing now under `windows` (empty = always).
  [[nodiscard]] bool window_open(const std::vector<config::FlashWindow>& windows) const;
  // Until one of `windows` is open; false when stop() was called first.
  // `on_wait` (may be empty) hears once why it waits.
  asio::awaitable<bool> wait_for_window(const std::vector<config::FlashWindow>& windows,
                                        std::function<void(const std::string&)> on_wait);
  void set_require_synced_clock(bool require) { require_synced_clock_ = require; }
  // The wall clock moved or was synchronised (tests; a time change): waits look again.
  void clock_changed() { changed_.notify_all(); }

  // ---- jobs in flight
  enum class JobStage { running, waiting_for_window };
  void add_job(const std::string& device_key);
  void set_stage(const std::string& device_key, JobStage stage);
  void remove_job(const std::string& device_key);
  [[nodiscard]] bool has_job(const std::string& device_key) const { return jobs_.count(device_key) > 0; }
  [[nodiscard]] std::size_t jobs() const noexcept { return jobs_.size(); }
  [[nodiscard]] bool running(const std::string& device_key) const {
    const auto it = jobs_.find(device_key);
    return it != jobs_.end() && it->second == JobStage::running;
  }
  // Jobs not parked until a flash window opens.
  [[nodiscard]] std::size_t jobs_running() const;
  [[nodiscard]] std::vector<std::string> jobs_waiting_for_window() const;
  // Until a job was added, ended or changed stage (or stop()).
  asio::awaitable<void> wait_for_change() { co_await changed_.wait(); }

  // Every wait ends; no bus is granted any more.
  void stop();
  [[nodiscard]] bool stopping() const noexcept { return stopping_; }

 private:
  asio::any_io_executor loop_;
  const WallClock& clock_;
  bool require_synced_clock_ = true;
  std::map<std::string, std::unique_ptr<transports::AsyncSemaphore>> buses_;
  std::map<std::string, JobStage> jobs_;
  transports::AsyncSignal changed_;
  bool stopping_ = false;
};

}  // namespace otagw::subdev
