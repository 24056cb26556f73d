#include "daemon/daemon.hpp"

#include <linux/magic.h>
#include <signal.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "config/load.hpp"
#include "daemon/config_reload.hpp"
#include "daemon/control/control_server.hpp"
#include "daemon/control/status_json.hpp"
#include "daemon/exit_code.hpp"
#include "daemon/heap.hpp"
#include "daemon/logging.hpp"
#include "daemon/service_notifier.hpp"
#include "subdev/device_state.hpp"
#include "subdev/fleet_status.hpp"
#include "subdev/registry.hpp"
#include "subdev/sweeper.hpp"
#include "transports/asio.hpp"
#include "transports/blocking_call.hpp"
#include "transports/device_log.hpp"
#include "transports/mqtt_error.hpp"
#include "transports/mqtt_session.hpp"
#include "transports/platform_sign.hpp"
#include "transports/supervised_task.hpp"

namespace otagw::daemon {
namespace {

// Blocking calls with no async form (libmosquitto's connect, fsync, DNS) run
// here. Two threads: one stuck connect must not hold up an fsync.
constexpr std::size_t kBlockingPoolThreads = 2;

// The wait from the end of a pass or a reload to handing its freed memory
// back: long enough for its coroutines to have unwound and the state save
// (on the blocking pool) to have ended.
constexpr std::chrono::seconds kHeapSettleTime{1};

transports::MqttSessionOptions session_options(const config::Config& config,
                                               transports::TaskFailureHandler on_failure) {
  auto sign_in = transports::make_mqtt_sign_in(config.gateway.product_key, config.gateway.device_name,
                                               config.gateway.device_secret, config.mqtt.tls);
  transports::MqttSessionOptions options;
  options.host = config.mqtt.host;
  options.port = config.mqtt.port;
  options.tls = config.mqtt.tls;
  options.tls_verify = config.mqtt.tls_verify;
  options.ca_file = config.mqtt.ca_file;
  options.keepalive_s = config.mqtt.keepalive_s;
  options.connect_timeout = std::chrono::seconds(config.mqtt.connect_timeout_s);
  options.client_id = std::move(sign_in.client_id);
  options.username = std::move(sign_in.username);
  options.password = std::move(sign_in.password);
  options.on_failure = std::move(on_failure);
  return options;
}

// ota.runtime_dir, else systemd's RuntimeDirectory= (the first, if several),
// else below the state directory.
std::filesystem::path runtime_dir(const config::Config& config) {
  std::filesystem::path dir = config.ota.runtime_dir;
  if (dir.empty()) {
    const char* env = std::getenv("RUNTIME_DIRECTORY");
    const std::string_view from_systemd = env != nullptr ? env : "";
    dir = !from_systemd.empty() ? std::filesystem::path(from_systemd.substr(0, from_systemd.find(':')))
                                : config.ota.state_dir / "run";
  }
  return dir;
}

bool is_on_tmpfs(const std::filesystem::path& dir) {
  struct statfs fs {};
  return ::statfs(dir.c_str(), &fs) == 0 && (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC);
}

subdev::SweeperOptions sweeper_options(const config::Config& config, std::filesystem::path runtime_dir) {
  subdev::SweeperOptions options;
  options.max_online = static_cast<std::size_t>(config.ota.max_online);
  options.delete_removed_topology = config.ota.delete_removed_topology;
  options.query_timeout = std::chrono::seconds(config.ota.query_timeout_s);
  options.sweep_interval = std::chrono::seconds(config.ota.sweep_interval_s);
  options.max_publish_per_s = config.mqtt.max_publish_per_s;
  options.plugins = config.plugins;
  options.jobs.runtime_dir = runtime_dir;
  options.runtime_dir = std::move(runtime_dir);
  options.jobs.state_dir = config.ota.state_dir;
  options.jobs.allow_http = config.ota.allow_http;
  options.jobs.download_ca_file = config.ota.download_ca_file;
  options.jobs.allowed_download_hosts = config.ota.allowed_download_hosts;
  options.jobs.max_image_bytes = config.ota.max_image_bytes;
  options.jobs.low_speed_timeout = std::chrono::seconds(config.ota.low_speed_timeout_s);
  options.jobs.download_retry_budget = std::chrono::seconds(config.ota.download_retry_s);
  options.jobs.max_parallel_downloads = static_cast<std::size_t>(config.ota.max_parallel_downloads);
  options.jobs.max_staging_bytes = config.ota.max_staging_bytes;
  options.jobs.flash_windows = config.ota.flash_windows;
  options.jobs.require_synced_clock = config.ota.require_synced_clock;
  // Where the install put it relative to otagwd (any prefix); the variable
  // OTAGW_PLUGIN_HOST points elsewhere (build trees, tests, the demo).
  const char* host = std::getenv("OTAGW_PLUGIN_HOST");
  if (host != nullptr && *host != '\0') {
    options.jobs.plugin_host = host;
  } else {
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    options.jobs.plugin_host =
        ec ? std::filesystem::path("/usr/libexec/otagw/otagw-plugin-host")
           : (self.parent_path() / OTAGW_PLUGIN_HOST_FROM_DAEMON).lexically_normal();
  }
  return options;
}

}  // namespace

class Daemon::Impl {
 public:
  Impl(config::Config config, DaemonOptions options)
      : config_(std::move(config)),
        options_(options),
        pool_(kBlockingPoolThreads),
        signals_(io_, SIGTERM, SIGINT),
        hangup_(io_, SIGHUP),
        notifier_(io_.get_executor()),
        session_(io_.get_executor(), pool_.get_executor(), session_options(config_, failure_handler())),
        registry_(std::make_shared<const subdev::Registry>(config_.subdevices)),
        state_(config_.ota.state_dir),
        runtime_dir_(runtime_dir(config_)),
        fleet_(io_.get_executor()),
        sweeper_(pool_.get_executor(), session_, {config_.gateway.product_key, config_.gateway.device_name},
                 registry_, state_, sweeper_options(config_, runtime_dir_), &fleet_) {
    state_.load();
    fleet_.sync(*registry_, state_);
    info_.version = OTAGW_VERSION;
    info_.pid = static_cast<long>(::getpid());
    info_.config_file = std::filesystem::absolute(options_.config_file);
    info_.started_ms = subdev::FleetStatus::now_ms();
  }

  int run() {
    if (config_.mqtt.tls && !config_.mqtt.tls_verify) {
      spdlog::warn("mqtt.tls_verify is false: the broker's certificate is NOT checked (development only)");
    }
    if (!config_.mqtt.tls) spdlog::warn("mqtt.tls is false: the session to {} is not encrypted", config_.mqtt.host);
    if (!is_on_tmpfs(runtime_dir_)) {
      spdlog::info("ota.runtime_dir {} is not on tmpfs: each visit writes a small marker file there (a tmpfs path "
                   "such as /run/otagw spares the flash)", runtime_dir_.string());
    }

    signals_.async_wait([this](boost::system::error_code ec, int signal) {
      if (ec) return;
      spdlog::info("{} received, stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
      finish(exit_ok);
    });
    wait_for_hangup();
    fleet_.set_listener([this](const subdev::StatusEvent& event) {
      if (event.kind == subdev::StatusEvent::Kind::pass && !event.pass->running) release_free_heap_soon();
      if (control_ && control_->has_watchers()) control_->broadcast(event_line(event));
    });
    start_control();
    // A firmware job that dies of a bug takes the daemon down like the sweep.
    sweeper_.set_task_failure_handler(failure_handler());
    sweeper_.set_reload_applied_handler([this](const subdev::RegistryDiff& changes) {
      if (control_) control_->broadcast(json_line(reload_event(changes)));
    });
    session_.set_state_handler([this](transports::MqttState state, std::error_code why) { on_session_state(state, why); });
    session_.set_message_handler(
        [this](std::string_view topic, std::string_view payload) { sweeper_.on_message(topic, payload); });
    session_.start();
    // The sweep is the daemon's purpose: if it dies or ends while the daemon
    // is not stopping, the daemon exits (70) instead of idling with the
    // watchdog fed.
    sweep_alive_ = true;
    transports::spawn_supervised(
        io_.get_executor(), "sweep", options_.once ? run_once() : sweeper_.run_forever(),
        [this](std::string_view task, std::exception_ptr) {
          sweep_alive_ = false;
          task_failed(task);
        },
        [this] {
          sweep_alive_ = false;
          if (!exit_code_) task_failed("sweep (ended while the daemon runs)");
        });

    // READY=1 as soon as the loop runs: a box that boots without network must
    // not fail its start; the connection's state follows in STATUS= lines.
    asio::post(io_, [this] {
      notifier_.ready();
      notifier_.start_watchdog([this] { return sweep_alive_; });
      spdlog::info("otagwd started: gateway {}/{}, {} sub-device(s), broker {}:{}", config_.gateway.product_key,
                   config_.gateway.device_name, config_.subdevices.size(), config_.mqtt.host, config_.mqtt.port);
    });

    // A stop lets a running flash finish (KillMode=mixed, TimeoutStopSec):
    // the session stays up so the result is reported.
    try {
      bool said_waiting = false;
      while ((!exit_code_ || sweeper_.flashing()) && io_.run_one() > 0) {
        if (exit_code_ && sweeper_.flashing() && !said_waiting) {
          said_waiting = true;
          spdlog::info("stopping: waiting for the running flash to finish");
        }
      }
      // Drain: let stop() write DISCONNECT and the coroutines unwind.
      if (control_) control_->stop();
      session_.stop();
      io_.run_for(std::chrono::seconds(3));
    } catch (const std::exception& e) {
      // A completion handler threw out of the loop: a bug, as for a task.
      spdlog::critical("internal error on the event loop: {}", e.what());
      return exit_internal_error;
    }
    return exit_code_.value_or(exit_ok);
  }

 private:
  transports::TaskFailureHandler failure_handler() {
    return [this](std::string_view task, std::exception_ptr) { task_failed(task); };
  }

  void on_session_state(transports::MqttState state, std::error_code why) {
    fleet_.set_connection(std::string(transports::to_string(state)),
                          fmt::format("{}:{}", config_.mqtt.host, config_.mqtt.port),
                          why && state != transports::MqttState::connected ? why.message() : std::string());
    std::string status = fmt::format("cloud {}:{} {}", config_.mqtt.host, config_.mqtt.port, transports::to_string(state));
    if (why && state != transports::MqttState::stopped) status += fmt::format(" ({})", why.message());
    notifier_.status(status);
    if (state == transports::MqttState::connected) {
      sweeper_.on_connected();
    } else {
      sweeper_.on_connection_lost();
    }
    if (options_.once && state == transports::MqttState::refused) finish(exit_sign_in_refused);
  }

  // --once: connect (within mqtt.connect_retry_s), one full pass, exit. A
  // session lost mid-pass is waited for as long again before giving up.
  asio::awaitable<void> run_once() {
    const auto retry = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::seconds(config_.mqtt.connect_retry_s));
    const std::error_code ec = co_await session_.async_wait_connected(retry, asio::use_awaitable);
    if (ec == transports::MqttErrc::timed_out) {
      spdlog::error("no connection to {}:{} within mqtt.connect_retry_s ({} s)", config_.mqtt.host, config_.mqtt.port,
                    config_.mqtt.connect_retry_s);
      finish(exit_broker_unreachable);
      co_return;
    }
    if (ec) co_return;  // stopped (signal or refusal) meanwhile
    subdev::PassReport report = co_await sweeper_.run_pass(retry);
    // The visits are done; the jobs they started run on. --once ends with
    // them, except those parked until a flash window opens: they stay
    // journaled for the next start.
    const std::size_t installed_before = sweeper_.jobs_installed();
    const std::size_t failed_before = sweeper_.jobs_failed();
    co_await sweeper_.finish_jobs();
    report.installed += sweeper_.jobs_installed() - installed_before;
    report.jobs_failed += sweeper_.jobs_failed() - failed_before;
    spdlog::info("--once: pass {} in {:.3f} s (visits {:.3f} s): {} visited, {} up to date, {} offer(s), {} without "
                 "reply, {} queries failed, {} job(s) installed, {} job(s) failed, {} not logged in, {} resumed after "
                 "reconnect",
                 report.complete ? "complete" : "INCOMPLETE", std::chrono::duration<double>(report.elapsed).count(),
                 std::chrono::duration<double>(report.visits_span()).count(),
                 report.visited, report.up_to_date, report.offers, report.no_reply, report.failed, report.installed,
                 report.jobs_failed, report.not_logged_in, report.resumed);
    if (const auto parked = sweeper_.jobs_waiting_for_window(); !parked.empty()) {
      std::string names;
      for (const std::string& key : parked) names += (names.empty() ? "" : ", ") + subdev::display_name_of_key(key);
      spdlog::info("--once: {} job(s) verified and journaled, waiting for their flash window: {}; a later start "
                   "flashes them inside one",
                   parked.size(), names);
    }
    // An incomplete pass says more than a failed job (5 before 6): the jobs
    // it did not reach are unknown, not failed.
    if (!report.complete) {
      finish(exit_incomplete);
    } else if (report.jobs_failed > 0) {
      finish(exit_job_failed);
    } else {
      finish(exit_ok);
    }
  }

  // ---- the operator: control socket and reload ---------------------------

  void start_control() {
    if (config_.control.socket.empty()) return;
    ControlServer::Options options;
    options.socket = config_.control.socket;
    options.group = config_.control.group;
    options.max_clients = config_.control.max_clients;
    control_ = std::make_unique<ControlServer>(
        io_.get_executor(), options,
        [this](ControlRequest request) -> asio::awaitable<ControlAnswer> { return dispatch(std::move(request)); },
        failure_handler());
    std::string detail;
    if (const std::error_code ec = control_->start(detail); ec) {
      // The daemon's purpose goes on without its operator's window.
      spdlog::error("control socket: {}; otagwctl cannot reach this daemon", detail);
      control_.reset();
      return;
    }
  }

  static ControlAnswer refused(ControlCommand command, std::string code, std::string message,
                               nlohmann::json extra = nlohmann::json::object()) {
    nlohmann::json error = {{"code", std::move(code)}, {"message", std::move(message)}};
    error.update(extra);
    return ControlAnswer{{{"ok", false}, {"cmd", std::string(to_string(command))}, {"error", std::move(error)}}};
  }

  asio::awaitable<ControlAnswer> dispatch(ControlRequest request) {
    const std::string cmd(to_string(request.command));
    const bool stopping = exit_code_.has_value();
    switch (request.command) {
      case ControlCommand::status:
      case ControlCommand::watch:
        co_return ControlAnswer{{{"ok", true}, {"cmd", cmd}, {"status", status_json(fleet_, info_)}},
                                request.command == ControlCommand::watch};
      case ControlCommand::sweep: {
        if (stopping) co_return refused(request.command, "stopping", "otagwd is stopping");
        const bool started = sweeper_.request_pass();
        if (started) spdlog::info("pass requested over the control socket");
        co_return ControlAnswer{{{"ok", true}, {"cmd", cmd}, {"started", started}, {"pass", pass_json(fleet_.pass())}}};
      }
      case ControlCommand::check: {
        const std::string name = request.product_key + "/" + request.device_name;
        if (stopping) co_return refused(request.command, "stopping", "otagwd is stopping");
        const std::size_t position = sweeper_.request_check(request.product_key + "." + request.device_name);
        if (position == 0) {
          co_return refused(request.command, "unknown_device", "no sub-device " + name + " in the configuration");
        }
        device_log::info(name, "", "sub-device {}: check requested over the control socket (position {})", name,
                         position);
        co_return ControlAnswer{{{"ok", true}, {"cmd", cmd}, {"device", name}, {"position", position}}};
      }
      case ControlCommand::reload:
        if (stopping) co_return refused(request.command, "stopping", "otagwd is stopping");
        co_return co_await reload("otagwctl reload");
    }
    co_return refused(request.command, "unknown_command", "unknown command");
  }

  void wait_for_hangup() {
    hangup_.async_wait([this](boost::system::error_code ec, int) {
      if (ec) return;
      spdlog::info("SIGHUP received: reloading {}", options_.config_file.string());
      transports::spawn_supervised(io_.get_executor(), "reload", reload_on_signal(), failure_handler());
      wait_for_hangup();
    });
  }

  asio::awaitable<void> reload_on_signal() { (void)co_await reload("SIGHUP"); }

  static nlohmann::json names(const std::vector<subdev::SubdevicePtr>& devices) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& device : devices) out.push_back(device->display_name());
    return out;
  }

  static nlohmann::json reload_event(const subdev::RegistryDiff& changes) {
    return {{"v", kControlProtocolVersion}, {"event", "reload"}, {"ok", true}, {"added", names(changes.added)},
            {"removed", names(changes.removed)}, {"updated", names(changes.updated)}};
  }

  // Reads the config file again; applies it, or refuses it whole and keeps
  // the running one. Answers once the new config is handed over (the sweep
  // takes the sub-devices at its next safe point).
  asio::awaitable<ControlAnswer> reload(std::string origin) {
    if (reloading_) co_return refused(ControlCommand::reload, "reload_busy", "a reload is under way; try again");
    reloading_ = true;
    struct Done {
      bool& flag;
      ~Done() { flag = false; }
    } done{reloading_};
    notifier_.reloading();
    const std::filesystem::path file = options_.config_file;
    // Named first: g++ 12 double-frees a capturing lambda inside a co_await expression.
    auto load = [file] { return config::load_config_file(file); };
    config::LoadResult loaded = co_await transports::run_blocking(pool_.get_executor(), std::move(load));
    // Accepted or refused, the load's YAML tree was freed on the pool.
    release_free_heap_soon();
    std::vector<std::string> errors;
    for (const auto& error : loaded.errors) errors.push_back(error.to_string(file));
    std::optional<ReloadPlan> plan;
    if (errors.empty()) {
      plan = plan_reload(config_, *loaded.config);
      errors = plan->refusals;
    }
    if (!errors.empty()) {
      for (const auto& line : errors) spdlog::error("reload ({}): {}", origin, line);
      spdlog::error("reload refused: {} error(s) in {}; the running configuration stays", errors.size(),
                    file.string());
      notifier_.ready();
      if (control_) {
        control_->broadcast(json_line(
            {{"v", kControlProtocolVersion}, {"event", "reload"}, {"ok", false}, {"errors", errors}}));
      }
      co_return refused(ControlCommand::reload, "reload_refused",
                        std::to_string(errors.size()) + " error(s) in " + file.string() +
                            "; the running configuration stays",
                        {{"errors", errors}});
    }
    for (const auto& key : plan->restart_only) {
      spdlog::warn("reload: {} changed; it applies at the next restart", key);
    }
    config::Config next = reloaded_config(config_, std::move(*loaded.config));
    if (!(next.log == config_.log)) setup_logging(next.log.level);
    if (plan->reconnect) {
      spdlog::info("reload: the mqtt section or the gateway's secret changed; reconnecting");
      session_.reconfigure(session_options(next, failure_handler()));
    }
    auto registry = std::make_shared<const subdev::Registry>(next.subdevices, registry_.get());
    const subdev::RegistryDiff changes = subdev::diff(*registry_, *registry);
    registry_ = registry;
    const bool pending = sweeper_.reload({std::move(registry), sweeper_options(next, runtime_dir_)});
    config_ = std::move(next);
    spdlog::info("reload ({}) accepted: changed {}; {} sub-device(s) added, {} removed, {} changed{}", origin,
                 plan->changed_sections.empty() ? "nothing" : fmt::format("{}", fmt::join(plan->changed_sections, ", ")),
                 changes.added.size(), changes.removed.size(), changes.updated.size(),
                 pending ? "; the sweep takes them after the visit under way" : "");
    notifier_.ready();
    co_return ControlAnswer{{{"ok", true},
                             {"cmd", "reload"},
                             {"changed", plan->changed_sections},
                             {"added", names(changes.added)},
                             {"removed", names(changes.removed)},
                             {"updated", names(changes.updated)},
                             {"reconnect", plan->reconnect},
                             {"pending", pending},
                             {"warnings", plan->restart_only}}};
  }

  // A supervised task died (logged by the supervisor): no half-dead daemon.
  void task_failed(std::string_view task) {
    spdlog::critical("internal error in {}: otagwd exits with code {} (systemd restarts it)", task,
                     static_cast<int>(exit_internal_error));
    if (exit_code_) {
      exit_code_ = exit_internal_error;  // already stopping: the stop itself failed
      sweeper_.stop(subdev::Sweeper::StopReason::internal_error);
      return;
    }
    finish(exit_internal_error);
  }

  // After a pass or a reload, what it freed goes back to the kernel: a pass
  // over 2000 sub-devices leaves 3 MiB of state saves, logins and visits
  // behind, a reload the YAML tree of its config (heap.hpp).
  void release_free_heap_soon() {
    if (exit_code_) return;
    heap_timer_.expires_after(kHeapSettleTime);
    heap_timer_.async_wait([](boost::system::error_code ec) {
      if (!ec) release_free_heap();
    });
  }

  void finish(int code) {
    if (exit_code_) return;
    exit_code_ = code;
    heap_timer_.cancel();
    notifier_.stopping();
    notifier_.stop_watchdog();
    signals_.cancel();
    // Nothing may keep the loop busy in the drain below: a wait left
    // pending holds run_for() to its full time-out on every exit.
    hangup_.cancel();
    sweeper_.stop(code == exit_internal_error ? subdev::Sweeper::StopReason::internal_error
                                              : subdev::Sweeper::StopReason::requested);
  }

  config::Config config_;
  DaemonOptions options_;
  asio::io_context io_;
  asio::thread_pool pool_;
  asio::signal_set signals_;
  asio::signal_set hangup_;
  ServiceNotifier notifier_;
  asio::steady_timer heap_timer_{io_};  // release_free_heap_soon()
  transports::MqttSession session_;
  std::shared_ptr<const subdev::Registry> registry_;
  subdev::DeviceStateStore state_;
  std::filesystem::path runtime_dir_;  // resolved once: the sweeper's markers and the start-up note
  subdev::FleetStatus fleet_;
  subdev::Sweeper sweeper_;
  std::unique_ptr<ControlServer> control_;
  DaemonInfo info_;
  std::optional<int> exit_code_;
  bool sweep_alive_ = false;
  bool reloading_ = false;
};

Daemon::Daemon(config::Config config, DaemonOptions options)
    : impl_(std::make_unique<Impl>(std::move(config), options)) {}
Daemon::~Daemon() = default;
int Daemon::run() { return impl_->run(); }

}  // namespace otagw::daemon
