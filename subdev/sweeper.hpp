#pragma once
// The sweep: log the sub-devices in (in windows of at most ota.max_online),
// visit them one at a time through the OTA channel, log the window out, go
// on. A lost session abandons the current visit; after reconnect and
// re-login the pass resumes at that device.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <string_view>

#include "config/config.hpp"
#include "subdev/cloud_rpc.hpp"
#include "subdev/device_state.hpp"
#include "subdev/drop_log.hpp"
#include "subdev/firmware_jobs.hpp"
#include "subdev/online_set.hpp"
#include "subdev/ota_channel.hpp"
#include "subdev/publish_pacer.hpp"
#include "subdev/registry.hpp"
#include "subdev/topology.hpp"
#include "subdev/visit_markers.hpp"
#include "transports/mqtt_session.hpp"

namespace otagw::subdev {

struct PassReport {
  bool complete = false;  // every device visited or skipped for a reason of its own
  std::size_t visited = 0;
  std::size_t up_to_date = 0;
  std::size_t offers = 0;
  std::size_t no_reply = 0;
  std::size_t failed = 0;
  std::size_t not_logged_in = 0;  // topology add or login refused: tried again next pass
  std::size_t resumed = 0;        // visits repeated after a lost session
  std::size_t installed = 0;      // firmware jobs that ended with the new version reported
  std::size_t jobs_failed = 0;    // firmware jobs that reported a failure step
  std::size_t skipped = 0;        // the daemon ended during their visit too often in a row (VisitMarkers)
  std::chrono::steady_clock::duration elapsed{};
};

struct SweeperOptions {
  std::size_t max_online = config::kMaxSubdevicesPerGateway;
  std::chrono::milliseconds query_timeout{25000};
  std::chrono::milliseconds reply_timeout{10000};  // topology add / login / logout replies
  std::chrono::milliseconds sweep_interval{3600000};
  int max_publish_per_s = 0;
  std::chrono::milliseconds save_interval{1000};  // device state is flushed at most this often during a pass
  std::filesystem::path runtime_dir;              // the channel's crash-loop markers; empty = none
  // Firmware jobs; without plugins offers are only recorded.
  std::map<std::string, config::PluginConfig> plugins;
  FirmwareJobsOptions jobs;
};

class Sweeper {
 public:
  Sweeper(asio::any_io_executor blocking_pool, transports::MqttSession& session, GatewayIdentity gateway,
          const Registry& registry, DeviceStateStore& state, SweeperOptions options);

  // The session's message handler: routes replies and OTA messages.
  void on_message(std::string_view topic, std::string_view payload);
  // The session left `connected`: waits that depend on it give up.
  void on_connection_lost();
  // The session is connected (again): between passes the online set is
  // logged in again at once.
  void on_connected();

  // One full pass. Waits up to `reconnect_wait` for the session whenever it is
  // down; past that the pass ends incomplete.
  asio::awaitable<PassReport> run_pass(std::chrono::milliseconds reconnect_wait);

  // A pass at once, then one every sweep_interval, until stop().
  asio::awaitable<void> run_forever();

  enum class StopReason {
    requested,       // SIGTERM, --once done: the visit's crash-loop marker goes at once
    internal_error,  // a task died (exit 70): the marker stays for the next start to count
  };
  void stop(StopReason reason = StopReason::requested);

  // A flash is running: the daemon lets it finish before it exits.
  [[nodiscard]] bool flashing() const noexcept { return jobs_ && jobs_->flashing(); }

  [[nodiscard]] const OtaChannel& channel() const noexcept { return channel_; }

 private:
  asio::awaitable<void> wait_for_next_pass();
  asio::awaitable<void> save_state(bool force);
  void record(const Subdevice& device, const VisitResult& visit, PassReport& report);

  asio::any_io_executor blocking_pool_;
  transports::MqttSession& session_;
  GatewayIdentity gateway_;
  const Registry& registry_;
  DeviceStateStore& state_;
  SweeperOptions options_;
  PublishPacer pacer_;
  CloudRpc rpc_;
  Topology topology_;
  OtaChannel channel_;
  std::unique_ptr<FirmwareJobs> jobs_;
  VisitMarkers markers_;
  DropLog drops_;

  OnlineSet online_;  // the current window; after a pass, what it left online
  std::chrono::steady_clock::time_point last_save_{};
  bool stopping_ = false;
  bool failed_ = false;  // stopped for an internal error
  std::unique_ptr<asio::steady_timer> interval_timer_;
};

}  // namespace otagw::subdev
