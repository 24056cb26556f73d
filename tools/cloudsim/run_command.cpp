// `otagw-cloudsim run SCENARIO`: the whole local cloud around one
// `otagwd --once`. Everything runs on one io_context: the firmware server,
// the simulated platform (in-process), and the watch over mosquitto and
// otagwd, which are child processes in their own process groups.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include "transports/async_slot.hpp"
#include "transports/atomic_file.hpp"
#include "tools/cloudsim/commands.hpp"
#include "tools/cloudsim/devices_file.hpp"
#include "tools/cloudsim/flash_overlap.hpp"
#include "tools/cloudsim/local_broker.hpp"
#include "tools/cloudsim/locations.hpp"
#include "tools/cloudsim/otagwd_config.hpp"
#include "tools/cloudsim/outcome.hpp"
#include "tools/cloudsim/package_host.hpp"
#include "tools/cloudsim/report.hpp"
#include "tools/cloudsim/sim_server.hpp"
#include "tools/cloudsim/status_table.hpp"
#include "tools/cloudsim/watched_process.hpp"

namespace otagw::cloudsim {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kTick = std::chrono::milliseconds(100);
// After otagwd exits, its last messages may still be on their way to us.
constexpr auto kSettle = std::chrono::milliseconds(300);
constexpr auto kKillGrace = std::chrono::seconds(10);
// A directory holding this file was made by `run`: it may be emptied.
constexpr const char* kMarker = ".otagw-cloudsim-run";

struct WorkDir {
  std::filesystem::path path;
  bool keep = false;
};

std::optional<WorkDir> prepare_work_dir(const RunCommand& command, std::string& error) {
  std::error_code ec;
  WorkDir work;
  if (command.keep) {
    work.keep = true;
    work.path = std::filesystem::absolute(*command.keep, ec).lexically_normal();
    if (std::filesystem::exists(work.path, ec) && !std::filesystem::is_empty(work.path, ec)) {
      if (!std::filesystem::exists(work.path / kMarker, ec)) {
        error = "--keep " + work.path.string() + ": not empty and not from an earlier run (refusing to empty it)";
        return std::nullopt;
      }
      for (const auto& entry : std::filesystem::directory_iterator(work.path, ec)) {
        std::filesystem::remove_all(entry.path(), ec);
      }
    }
    std::filesystem::create_directories(work.path, ec);
    if (ec) {
      error = "--keep " + work.path.string() + ": " + ec.message();
      return std::nullopt;
    }
  } else {
    std::string pattern = (std::filesystem::temp_directory_path(ec) / "otagw-cloudsim-run.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      error = "cannot create a temporary directory " + pattern;
      return std::nullopt;
    }
    work.path = pattern;
  }
  std::ofstream(work.path / kMarker) << "made by otagw-cloudsim run\n";
  return work;
}

std::string random_hex(std::size_t bytes) {
  std::random_device random;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  for (std::size_t i = 0; i < bytes; ++i) {
    const auto byte = random() & 0xffU;
    text += kHex[byte >> 4];
    text += kHex[byte & 0xfU];
  }
  return text;
}

std::string seconds_text(Clock::duration elapsed) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f s", std::chrono::duration<double>(elapsed).count());
  return text;
}

class RunSession {
 public:
  RunSession(const RunCommand& command, Scenario scenario, Locations where, std::filesystem::path otagwd, WorkDir work,
             TableMode table)
      : command_(command),
        scenario_(std::move(scenario)),
        where_(std::move(where)),
        otagwd_path_(std::move(otagwd)),
        work_(std::move(work)),
        signals_(io_, SIGINT, SIGTERM),
        ready_(io_.get_executor()),
        table_(table, stdout) {}

  ~RunSession() {
    pool_.stop();
    pool_.join();
  }

  int run() {
    signals_.async_wait([this](boost::system::error_code ec, int signal) {
      if (ec) return;
      spdlog::warn("signal {}: stopping", signal);
      std::fprintf(stderr, "otagw-cloudsim: interrupted, stopping\n");
      interrupted_ = true;
      if (otagwd_) otagwd_->signal_group(SIGTERM);
    });
    asio::co_spawn(io_, main(), [this](std::exception_ptr failure) {
      if (failure) {
        try {
          std::rethrow_exception(failure);
        } catch (const std::exception& e) {
          std::cerr << "otagw-cloudsim: " << e.what() << '\n';
        }
        exit_code_ = kExitFailure;
      }
      boost::system::error_code ignored;
      signals_.cancel(ignored);
      // After the session's own posted teardown (DISCONNECT), not before it.
      asio::post(io_, [this] { io_.stop(); });
    });
    io_.run();
    return exit_code_;
  }

  [[nodiscard]] int exit_code() const noexcept { return exit_code_; }

 private:
  void say(const std::string& line) {
    std::fprintf(stdout, "%s\n", line.c_str());
    std::fflush(stdout);
  }

  void fail(const std::string& why) {
    std::cerr << "otagw-cloudsim: " << why << '\n';
    spdlog::error("{}", why);
    exit_code_ = kExitFailure;
  }

  asio::awaitable<void> main() {
    try {
      co_await start_and_watch();
    } catch (const std::exception& e) {
      fail(e.what());
    }
    co_await stop_everything();
  }

  asio::awaitable<void> start_and_watch() {
    say("otagw-cloudsim run: " + command_.scenario.string() + " (" + std::to_string(scenario_.devices.size()) +
        " device(s), " + std::to_string(scenario_.packages.size()) + " package(s))");
    say("  work dir  " + work_.path.string());

    hosting_.emplace(io_, scenario_, work_.path / "firmware");
    const Scenario served = hosting_->resolve(scenario_);
    std::string firmware;
    if (hosting_->https_port() != 0) firmware += " https://127.0.0.1:" + std::to_string(hosting_->https_port());
    if (hosting_->http_port() != 0) firmware += " http://127.0.0.1:" + std::to_string(hosting_->http_port());
    if (!hosting_->ca_file().empty()) firmware += " (CA " + hosting_->ca_file().string() + ")";
    if (!firmware.empty()) say("  firmware " + firmware);

    BrokerSetup setup;
    setup.dir = work_.path / "broker";
    std::filesystem::create_directories(setup.dir);
    setup.mosquitto = where_.mosquitto;
    setup.auth_plugin = where_.auth_plugin;
    setup.devices_file_text = devices_file_text(scenario_);
    setup.platform_username = "otagw-cloudsim";
    setup.platform_password = random_hex(16);
    const std::string platform_password = setup.platform_password;
    auto started = co_await LocalBroker::async_start(std::move(setup));
    if (!started.broker) {
      fail(started.error);
      co_return;
    }
    broker_ = std::move(started.broker);
    say("  broker    mosquitto on 127.0.0.1:" + std::to_string(broker_->port()) + " (log " +
        broker_->log_file().string() + ")");
    if (interrupted_) co_return;

    ServerOptions options;
    options.broker_port = broker_->port();
    options.username = "otagw-cloudsim";
    options.password = config::Secret(platform_password);
    sim_.emplace(io_.get_executor(), pool_.get_executor(), served, options);
    auto* ready = &ready_;
    sim_->start([ready](std::error_code ec) { ready->deliver(ec); });
    const auto connected = co_await ready_.wait_for(std::chrono::seconds(15));
    if (!connected || *connected) {
      fail("the simulator could not serve on the broker: " +
           (connected ? connected->message() : std::string("no answer")));
      co_return;
    }
    if (interrupted_) co_return;

    OtagwdConfigOptions config_options;
    config_options.broker_port = broker_->port();
    config_options.state_dir = work_.path / "state";
    config_options.download_ca_file = hosting_->ca_file();
    config_options.scenario_name = command_.scenario.string();
    const auto rendered = render_otagwd_config(scenario_, config_options, make_variables(scenario_, work_.path));
    if (!rendered.errors.empty()) {
      for (const auto& error : rendered.errors) std::cerr << "otagw-cloudsim: " << command_.scenario.string() << ": " << error << '\n';
      exit_code_ = kExitUsage;
      co_return;
    }
    const auto config_file = work_.path / "gateway.yaml";
    // It holds secrets: 0600.
    if (const auto ec = transports::write_file_atomically(config_file, rendered.text, 0600)) {
      fail("cannot write " + config_file.string() + ": " + ec.message());
      co_return;
    }

    const auto log_file = work_.path / "otagwd.log";
    std::vector<std::string> extra_environment;
    if (!where_.plugin_host.empty()) extra_environment.push_back("OTAGW_PLUGIN_HOST=" + where_.plugin_host.string());
    std::vector<std::string> argv = {otagwd_path_.string(), "--config", config_file.string(), "--once"};
    say("  otagwd    " + otagwd_path_.string() + " --config " + config_file.string() + " --once");
    say("  log       " + log_file.string());
    say("");
    const auto otagwd_started = Clock::now();
    otagwd_ = std::make_unique<WatchedProcess>(io_.get_executor(), std::move(argv),
                                               environment_with(extra_environment), log_file);
    if (interrupted_) otagwd_->signal_group(SIGTERM);

    const auto deadline = otagwd_started + std::chrono::seconds(scenario_.otagwd.timeout_s);
    std::optional<Clock::time_point> kill_at;
    while (!otagwd_->exited()) {
      const bool exited = co_await otagwd_->wait_for(kTick);
      if (exited) spdlog::info("otagwd exited: {}", otagwd_->status().value_or(-1));
      table_.update(module_outcomes(sim_->state()));
      const auto now = Clock::now();
      if (!kill_at && (interrupted_ || now >= deadline)) {
        if (!interrupted_) {
          timed_out_ = true;
          spdlog::error("otagwd still running after {} s (otagwd.timeout_s): stopping it", scenario_.otagwd.timeout_s);
        }
        otagwd_->signal_group(SIGTERM);
        kill_at = now + kKillGrace;
      }
      if (kill_at && now >= *kill_at) otagwd_->signal_group(SIGKILL);
    }
    otagwd_elapsed_ = Clock::now() - otagwd_started;
    asio::steady_timer settle(io_, kSettle);
    co_await settle.async_wait(asio::use_awaitable);
    const auto rows = module_outcomes(sim_->state());
    table_.finish(rows);
    finish_report(rows, config_file, log_file);
  }

  // With devices on two buses or more: did otagwd flash on two at once?
  void say_overlap() {
    const auto& devices = sim_->state().devices.all();
    const bool buses = std::any_of(devices.begin(), devices.end(),
                                   [&](const DeviceState& d) { return d.bus != devices.front().bus; });
    if (!buses) return;
    const auto longest = longest_overlap(flash_spans(devices));
    say("flashes across buses: " + (longest ? "longest overlap " + overlap_text(*longest)
                                            : std::string("none at the same time")));
  }

  // otagwd --once exits 6 when a firmware job failed in a complete pass:
  // that is the truth a scenario expecting a failed job asks for, so 6 is
  // as good as 0 there (and still a failure where no job should fail).
  static bool otagwd_status_expected(int status, const std::vector<ExpectationResult>& judged) {
    constexpr int kOtagwdJobFailed = 6;  // otagw::daemon::exit_job_failed
    if (status == 0) return true;
    if (status != kOtagwdJobFailed) return false;
    return std::any_of(judged.begin(), judged.end(), [](const ExpectationResult& j) {
      return j.expectation.result == std::string("failed") || j.expectation.step.has_value();
    });
  }

  void finish_report(const std::vector<ModuleOutcome>& rows, const std::filesystem::path& config_file,
                     const std::filesystem::path& log_file) {
    const int otagwd_status = otagwd_->status().value_or(-1);
    auto report = sim_->report();
    report["otagwd"] = {{"exit", otagwd_status},
                        {"timed_out", timed_out_},
                        {"duration_ms", std::chrono::duration_cast<std::chrono::milliseconds>(otagwd_elapsed_).count()},
                        {"config", config_file.string()},
                        {"log", log_file.string()}};
    report["work_dir"] = work_.path.string();

    say("");
    std::fputs(final_table(rows).c_str(), stdout);
    say("");
    say_overlap();
    const auto judged = judge_expectations(sim_->state());
    std::size_t met = 0;
    for (const auto& result : judged) met += result.met ? 1 : 0;
    if (!judged.empty()) {
      say("expectations: " + std::to_string(met) + " of " + std::to_string(judged.size()) + " met");
      for (const auto& result : judged) {
        if (result.met) continue;
        say("  NOT MET " + expectation_text(result.expectation) + " -- " + result.detail);
      }
    }
    say("otagwd " +
        (timed_out_ ? "timed out" : interrupted_ ? "interrupted" : "exited " + std::to_string(otagwd_status)) +
        " after " + seconds_text(otagwd_elapsed_));

    const auto report_text = report.dump(1) + "\n";
    const auto report_file = work_.path / "report.json";
    if (const auto ec = transports::write_file_atomically(report_file, report_text, 0644)) {
      fail("cannot write " + report_file.string() + ": " + ec.message());
    }
    if (command_.report) {
      if (const auto ec = transports::write_file_atomically(*command_.report, report_text, 0644)) {
        fail("cannot write " + command_.report->string() + ": " + ec.message());
      } else {
        say("report: " + command_.report->string());
      }
    }
    if (exit_code_ != kExitOk) return;
    if (interrupted_) {
      exit_code_ = kExitFailure;
    } else if (met != judged.size()) {
      exit_code_ = kExitExpectations;
    } else if (!otagwd_status_expected(otagwd_status, judged) || timed_out_) {
      exit_code_ = kExitOtagwd;
    }
  }

  asio::awaitable<void> stop_everything() {
    if (otagwd_ && !otagwd_->exited()) {
      otagwd_->signal_group(SIGTERM);
      const bool exited = co_await otagwd_->wait_for(std::chrono::seconds(5));
      if (!exited) otagwd_->signal_group(SIGKILL);
    }
    otagwd_.reset();
    if (sim_) sim_->stop();
    if (hosting_) hosting_->stop();
    if (broker_) {
      co_await broker_->async_stop();
    }
  }

  const RunCommand& command_;
  Scenario scenario_;
  Locations where_;
  std::filesystem::path otagwd_path_;
  WorkDir work_;
  asio::io_context io_;
  asio::thread_pool pool_{1};  // MqttSession's blocking connect
  asio::signal_set signals_;
  transports::AsyncSlot<std::error_code> ready_;
  StatusTable table_;
  std::optional<PackageHost> hosting_;
  std::unique_ptr<LocalBroker> broker_;
  std::optional<SimServer> sim_;
  std::unique_ptr<WatchedProcess> otagwd_;
  Clock::duration otagwd_elapsed_{};
  bool interrupted_ = false;
  bool timed_out_ = false;
  int exit_code_ = kExitOk;
};

}  // namespace

int run_run(const RunCommand& command) {
  auto scenario = load_or_explain(command.scenario);
  if (!scenario) return kExitUsage;
  const auto table = parse_table_mode(command.table, stdout);
  if (!table) return kExitUsage;

  Locations where = find_locations();
  const std::filesystem::path otagwd = command.otagwd ? *command.otagwd : where.otagwd;
  std::vector<std::string> missing;
  if (otagwd.empty() || ::access(otagwd.c_str(), X_OK) != 0) {
    missing.push_back("otagwd (" + (otagwd.empty() ? std::string("not found; give --otagwd PATH") : otagwd.string()) + ")");
  }
  if (::access(where.mosquitto.c_str(), X_OK) != 0) missing.push_back("mosquitto (" + where.mosquitto.string() + ")");
  if (::access(where.auth_plugin.c_str(), R_OK) != 0) {
    missing.push_back("the broker plugin otagw_mqtt_auth.so (" + where.auth_plugin.string() + ")");
  }
  if (!missing.empty()) {
    for (const auto& what : missing) std::cerr << "otagw-cloudsim: cannot find " << what << '\n';
    return kExitFailure;
  }

  std::string error;
  auto work = prepare_work_dir(command, error);
  if (!work) {
    std::cerr << "otagw-cloudsim: " << error << '\n';
    return kExitFailure;
  }
  // The simulator's own log goes to a file: the terminal shows the table.
  auto logger = spdlog::basic_logger_mt("cloudsim-run", (work->path / "cloudsim.log").string(), true);
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e cloudsim %l: %v");
  logger->set_level(spdlog::level::from_str(command.log_level));
  logger->flush_on(spdlog::level::warn);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  std::signal(SIGPIPE, SIG_IGN);

  const bool keep = work->keep;
  const auto work_path = work->path;
  int code = kExitFailure;
  {
    RunSession session(command, std::move(*scenario), std::move(where), otagwd, std::move(*work), *table);
    code = session.run();
  }
  logger->flush();
  spdlog::set_default_logger(previous);
  spdlog::drop("cloudsim-run");
  if (keep) {
    std::printf("logs, config and report kept in %s\n", work_path.c_str());
  } else if (code == kExitOk) {
    std::error_code ignored;
    std::filesystem::remove_all(work_path, ignored);
    std::printf("work dir removed (--keep DIR keeps the logs, the config and the report)\n");
  } else {
    std::printf("logs, config and report kept in %s\n", work_path.c_str());
  }
  std::fflush(stdout);
  return code;
}

}  // namespace otagw::cloudsim
