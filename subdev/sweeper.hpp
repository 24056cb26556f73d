#pragma once
// The sweep: log the sub-devices in (in windows of at most ota.max_online),
// visit them one at a time through the OTA channel, log the window out, go
// on. A lost session abandons the current visit; after reconnect and
// re-login the pass resumes at that device.
//
// An accepted offer becomes a firmware job that runs on its own; the
// channel goes on to the next device. A pass takes the devices round-robin
// across their buses, so the first offers spread over the buses; a device
// with a job in flight is not visited for a new one. Between visits the
// channel serves the jobs that need the cloud again (an expired URL).
#include <chrono>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>

#include "config/config.hpp"
#include "subdev/cloud_rpc.hpp"
#include "subdev/device_state.hpp"
#include "subdev/drop_log.hpp"
#include "subdev/firmware_jobs.hpp"
#include "subdev/fleet_status.hpp"
#include "subdev/online_set.hpp"
#include "subdev/ota_channel.hpp"
#include "subdev/publish_pacer.hpp"
#include "subdev/registry.hpp"
#include "subdev/topology.hpp"
#include "subdev/visit_markers.hpp"
#include "transports/async_signal.hpp"
#include "transports/async_slot.hpp"
#include "transports/mqtt_session.hpp"
#include "transports/supervised_task.hpp"

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
  std::size_t installed = 0;      // firmware jobs that ended with the new version reported (during the pass)
  std::size_t jobs_failed = 0;    // offers refused, and jobs that reported a failure step (during the pass)
  std::size_t jobs_started = 0;   // offers that became jobs in flight
  std::size_t busy = 0;           // devices not visited: a job of theirs is in flight
  std::size_t skipped = 0;        // the daemon ended during their visit too often in a row (VisitMarkers)
  std::chrono::steady_clock::duration elapsed{};
  // The visits alone: the first visit's SUBSCRIBE to the last one's
  // UNSUBSCRIBE (what lies between visits counts: a window's login, a
  // reconnect). Empty without visits.
  std::chrono::steady_clock::time_point first_visit{};
  std::chrono::steady_clock::time_point last_visit_end{};
  [[nodiscard]] std::chrono::steady_clock::duration visits_span() const noexcept {
    return last_visit_end - first_visit;
  }
};

struct SweeperOptions {
  std::size_t max_online = config::kMaxSubdevicesPerGateway;
  std::chrono::milliseconds query_timeout{25000};
  std::chrono::milliseconds reply_timeout{10000};  // topology add / login / logout replies
  std::chrono::milliseconds sweep_interval{3600000};
  int max_publish_per_s = 0;
  std::chrono::milliseconds save_interval{1000};  // device state is flushed at most this often during a pass
  std::filesystem::path runtime_dir;              // the channel's crash-loop markers; empty = none
  bool delete_removed_topology = false;           // a reload deletes the topology of devices it removes
  // Firmware jobs; without plugins offers are only recorded.
  std::map<std::string, config::PluginConfig> plugins;
  FirmwareJobsOptions jobs;
};

// What a reload hands the sweep (applied between visits, never inside one).
struct SweeperReload {
  std::shared_ptr<const Registry> registry;
  SweeperOptions options;  // state_dir, runtime_dir and plugin_host stay as they were
};

class Sweeper {
 public:
  // `status` (may be null) is the operator's view; it outlives the sweeper.
  Sweeper(asio::any_io_executor blocking_pool, transports::MqttSession& session, GatewayIdentity gateway,
          std::shared_ptr<const Registry> registry, DeviceStateStore& state, SweeperOptions options,
          FleetStatus* status = nullptr);

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

  // --once, after its pass: until every job has ended or waits for its flash
  // window (still serving the jobs' queries and the devices' logins).
  asio::awaitable<void> finish_jobs();
  // Jobs ended since start, by outcome; devices whose jobs wait for a window.
  [[nodiscard]] std::size_t jobs_installed() const noexcept { return jobs_ ? jobs_->installed_total() : 0; }
  [[nodiscard]] std::size_t jobs_failed() const noexcept { return jobs_ ? jobs_->failed_total() : 0; }
  [[nodiscard]] std::vector<std::string> jobs_waiting_for_window() const {
    return jobs_ ? jobs_->jobs_waiting_for_window() : std::vector<std::string>{};
  }
  // A job died of a bug: the daemon exits (default: abort).
  void set_task_failure_handler(transports::TaskFailureHandler handler);
  // The jobs (null without plugins): tests drive their clock through it.
  [[nodiscard]] FirmwareJobs* jobs() noexcept { return jobs_.get(); }

  enum class StopReason {
    requested,       // SIGTERM, --once done: the visit's crash-loop marker goes at once
    internal_error,  // a task died (exit 70): the marker stays for the next start to count
  };
  void stop(StopReason reason = StopReason::requested);

  // The operator (the control socket). A pass starts now unless one runs
  // (false: it says so, no error).
  bool request_pass();
  [[nodiscard]] bool pass_running() const noexcept { return pass_running_; }
  // The device (by key) is visited next: during a pass before the next
  // device, between passes at once. Its place in the queue (1 = next), or 0
  // when the registry has no such device.
  std::size_t request_check(const std::string& device_key);

  // A reload: taken at the sweep's next safe point (between visits; at once
  // between passes). True when a visit is under way, so it waits for it.
  bool reload(SweeperReload reload);
  // Hears each reload once it is applied, with what it changed.
  void set_reload_applied_handler(std::function<void(const RegistryDiff&)> handler) {
    on_reload_applied_ = std::move(handler);
  }
  [[nodiscard]] std::shared_ptr<const Registry> registry() const noexcept { return registry_; }

  // A flash is running: the daemon lets it finish before it exits.
  [[nodiscard]] bool flashing() const noexcept { return jobs_ && jobs_->flashing(); }

  [[nodiscard]] const OtaChannel& channel() const noexcept { return channel_; }

 private:
  enum class VisitStep { done, abandoned, failed };

  // A job's question for the cloud, waiting for the channel.
  struct Requery {
    std::string device_key;
    std::string module;
    std::shared_ptr<transports::AsyncSlot<std::optional<FirmwareOffer>>> answer;
  };

  void make_jobs();
  // Between passes: a pending reload, the jobs' questions, the checked
  // devices (the first of these that waits). False when none waited.
  asio::awaitable<bool> serve_waiting_work();
  // The jobs' questions, one by one through the channel (between visits).
  asio::awaitable<void> serve_requeries();
  asio::awaitable<std::optional<FirmwareOffer>> ask_for_job(std::string device_key, std::string module);
  void on_job_ended(const std::string& device_key, JobOutcome outcome, bool resumed);
  // Windowed passes: a job keeps its device logged in beyond its window.
  asio::awaitable<void> take_seat(const std::string& device_key);
  asio::awaitable<void> leave_seat(const std::string& device_key);
  // The pass's order: round-robin across buses, registry order within one.
  [[nodiscard]] static std::vector<SubdevicePtr> round_robin(const std::vector<SubdevicePtr>& devices);

  asio::awaitable<void> wait_for_next_pass();
  // Due (save_interval) or forced: a forced save is waited for; one that is
  // only due runs beside the sweep.
  asio::awaitable<void> save_state(bool force);
  asio::awaitable<void> save_in_background();
  // Until no save runs beside the sweep.
  asio::awaitable<void> settle_saves();
  void record(const Subdevice& device, const VisitResult& visit, PassReport& report);
  // One device of the online set: crash-loop markers, the visit, the record.
  asio::awaitable<VisitStep> visit_device(SubdevicePtr device, PassReport& report);
  // Between passes: the checked devices, one by one.
  asio::awaitable<void> run_checks();
  // The safe point: a pending reload is applied. `pass` (during a pass) gets
  // the added devices appended; those within [window_start, window_end) are
  // logged in now.
  asio::awaitable<void> apply_reload(std::vector<SubdevicePtr>* pass, std::size_t window_start,
                                     std::size_t window_size);
  [[nodiscard]] bool windowed() const noexcept;
  [[nodiscard]] std::string take_check();

  asio::any_io_executor blocking_pool_;
  transports::MqttSession& session_;
  GatewayIdentity gateway_;
  std::shared_ptr<const Registry> registry_;
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
  int background_saves_ = 0;  // save_state() tasks under way (0 or 1)
  bool stopping_ = false;
  bool failed_ = false;  // stopped for an internal error
  std::unique_ptr<asio::steady_timer> interval_timer_;
  FleetStatus* status_ = nullptr;
  bool pass_running_ = false;
  bool pass_requested_ = false;
  std::deque<std::string> checks_;  // device keys, visited before anything else
  std::optional<SweeperReload> pending_reload_;
  std::deque<Requery> requeries_;
  transports::AsyncSignal work_;  // a job asked the channel, or ended
  std::set<std::string> window_keys_;  // the devices of the window under way (windowed passes)
  transports::TaskFailureHandler on_task_failure_;
  std::function<void(const RegistryDiff&)> on_reload_applied_;
};

}  // namespace otagw::subdev
