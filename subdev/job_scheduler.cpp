#include "subdev/job_scheduler.hpp"

#include <algorithm>

namespace otagw::subdev {
namespace {

// A wait for a window looks at the clock again at least this often: the
// clock may be set or synchronised meanwhile, and a gateway's time zone
// may change its offset.
constexpr std::chrono::seconds kWindowRecheck{60};

}  // namespace

JobScheduler::JobScheduler(asio::any_io_executor loop, const WallClock& clock)
    : loop_(loop), clock_(clock), changed_(loop) {}

asio::awaitable<transports::AsyncSemaphore::Permit> JobScheduler::take_bus(const std::string& bus) {
  auto& semaphore = buses_[bus];
  if (!semaphore) semaphore = std::make_unique<transports::AsyncSemaphore>(loop_, 1);
  if (stopping_) semaphore->cancel_all();
  co_return co_await semaphore->acquire();
}

bool JobScheduler::bus_free(const std::string& bus) {
  const auto it = buses_.find(bus);
  return it == buses_.end() || it->second->available();
}

bool JobScheduler::window_open(const std::vector<config::FlashWindow>& windows) const {
  if (windows.empty()) return true;
  if (require_synced_clock_ && !clock_.synchronised()) return false;
  return subdev::window_open(windows, clock_.now());
}

asio::awaitable<bool> JobScheduler::wait_for_window(const std::vector<config::FlashWindow>& windows,
                                                    std::function<void(const std::string&)> on_wait) {
  bool told = false;
  for (;;) {
    if (stopping_) co_return false;
    if (window_open(windows)) co_return true;
    std::chrono::steady_clock::duration wait = kWindowRecheck;
    const bool synced = !require_synced_clock_ || clock_.synchronised();
    if (synced) {
      const auto now = clock_.now();
      wait = std::min<std::chrono::steady_clock::duration>(wait, next_window_opening(windows, now) - now);
    }
    if (!told && on_wait) {
      on_wait(synced ? "its flash window" : "its flash window (the system clock is not synchronised yet)");
    }
    told = true;
    (void)co_await changed_.wait_for(std::max<std::chrono::steady_clock::duration>(wait, std::chrono::milliseconds(50)));
  }
}

void JobScheduler::add_job(const std::string& device_key) {
  jobs_[device_key] = JobStage::running;
  changed_.notify_all();
}

void JobScheduler::set_stage(const std::string& device_key, JobStage stage) {
  if (const auto it = jobs_.find(device_key); it != jobs_.end() && it->second != stage) {
    it->second = stage;
    changed_.notify_all();
  }
}

void JobScheduler::remove_job(const std::string& device_key) {
  jobs_.erase(device_key);
  changed_.notify_all();
}

std::size_t JobScheduler::jobs_running() const {
  return static_cast<std::size_t>(
      std::count_if(jobs_.begin(), jobs_.end(), [](const auto& job) { return job.second == JobStage::running; }));
}

std::vector<std::string> JobScheduler::jobs_waiting_for_window() const {
  std::vector<std::string> keys;
  for (const auto& [key, stage] : jobs_) {
    if (stage == JobStage::waiting_for_window) keys.push_back(key);
  }
  return keys;
}

void JobScheduler::stop() {
  stopping_ = true;
  for (auto& [name, bus] : buses_) bus->cancel_all();
  changed_.notify_all();
}

}  // namespace otagw::subdev
