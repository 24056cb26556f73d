#pragma once
// What the gateway remembers about each sub-device across restarts
// (state_dir/devices.json), and its atomic persistence.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <system_error>

#include "transports/asio.hpp"
#include "transports/async_semaphore.hpp"

namespace otagw::subdev {

// A target whose firmware jobs failed in a row on one device.
struct FailedTarget {
  std::string version;
  int jobs = 0;
};

struct DeviceState {
  bool topology_added = false;                            // thing.topo.add accepted once
  std::map<std::string, std::string> installed_versions;  // module ("" = default) -> version last installed
  std::int64_t last_check_ms = 0;                         // wall clock of the last finished visit
  std::string last_result;                                // "up_to_date", "offer 1.2.0", "no_reply", ...
  std::map<std::string, FailedTarget> failed_targets;     // module -> the target failing in a row (FirmwareJobs)
};

class DeviceStateStore {
 public:
  static constexpr int kFormatVersion = 1;

  explicit DeviceStateStore(std::filesystem::path state_dir);

  // Reads the file. A missing file is an empty store; one that does not parse
  // is moved aside to devices.json.broken (kept for a post-mortem) and the
  // store starts empty: the daemon must come up either way.
  void load();

  [[nodiscard]] DeviceState& at(const std::string& device_key);
  [[nodiscard]] const DeviceState* find(const std::string& device_key) const;
  void mark_dirty() noexcept { dirty_ = true; }
  [[nodiscard]] bool dirty() const noexcept { return dirty_; }

  // Serialises on the loop, writes atomically on the blocking pool.
  asio::awaitable<std::error_code> async_save(asio::any_io_executor blocking_pool);

  [[nodiscard]] const std::filesystem::path& file() const noexcept { return file_; }
  [[nodiscard]] std::string serialise() const;

 private:
  std::filesystem::path file_;
  std::map<std::string, DeviceState> devices_;
  bool dirty_ = false;
  // One save at a time: jobs in parallel end (and save) at the same moment,
  // and two writers of the one temp file would race. Made on the first save
  // (on the loop's executor).
  std::unique_ptr<transports::AsyncSemaphore> saving_;
};

}  // namespace otagw::subdev
