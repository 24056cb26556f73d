#include "tools/cloudsim/commands.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <spdlog/spdlog.h>

#include "transports/asio.hpp"
#include "transports/atomic_file.hpp"
#include "tools/cloudsim/devices_file.hpp"
#include "tools/cloudsim/otagwd_config.hpp"
#include "tools/cloudsim/outcome.hpp"
#include "tools/cloudsim/package_host.hpp"
#include "tools/cloudsim/report.hpp"
#include "tools/cloudsim/scenario_load.hpp"
#include "tools/cloudsim/sim_server.hpp"
#include "tools/cloudsim/status_table.hpp"

namespace otagw::cloudsim {
namespace {

constexpr auto kTableInterval = std::chrono::milliseconds(200);

std::filesystem::path make_temp_dir(const char* prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (std::string(prefix) + ".XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  return pattern;
}

// The whole run of `serve` on one io_context.
class ServeRun {
 public:
  ServeRun(const ServeCommand& command, const Scenario& scenario)
      : command_(command), scenario_(scenario), signals_(io_, SIGINT, SIGTERM), table_timer_(io_) {}

  ~ServeRun() {
    pool_.stop();
    pool_.join();
    if (!command_.work_dir && !temp_dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(temp_dir_, ignored);
    }
  }

  int run() {
    if (!start_packages()) return kExitFailure;
    const auto mode = parse_table_mode(command_.table, stdout);
    table_.emplace(mode.value_or(TableMode::off), stdout);
    server_.emplace(io_.get_executor(), pool_.get_executor(), served_, command_.server);
    signals_.async_wait([this](boost::system::error_code ec, int signal) {
      if (ec) return;
      spdlog::info("signal {}: stopping", signal);
      finish_with_report();
    });
    server_->start([this](std::error_code ec) {
      if (finished_) return;
      if (ec) {
        std::cerr << "otagw-cloudsim: cannot serve on " << command_.server.broker_host << ':'
                  << command_.server.broker_port << ": " << ec.message() << '\n';
        connect_failed_ = true;
        return finish(kExitFailure);
      }
      spdlog::info("serving the platform for gateway on {}:{}", command_.server.broker_host,
                   command_.server.broker_port);
      if (!hosting_->ca_file().empty()) std::fprintf(stdout, "firmware-ca %s\n", hosting_->ca_file().c_str());
      std::fputs("ready\n", stdout);
      std::fflush(stdout);
      tick();
    });
    io_.run();
    return exit_code_;
  }

  // A connect that never returns (a host that drops SYNs) would hold the
  // blocking pool's join for minutes after we gave up on it.
  [[nodiscard]] bool pool_may_hang() const noexcept { return connect_failed_; }

 private:
  bool start_packages() {
    try {
      std::filesystem::path dir;
      if (command_.work_dir) {
        dir = *command_.work_dir;
        std::filesystem::create_directories(dir);
      } else if (!scenario_.packages.empty()) {
        dir = temp_dir_ = make_temp_dir("otagw-cloudsim");
      }
      hosting_.emplace(io_, scenario_, dir, command_.firmware);
      served_ = hosting_->resolve(scenario_);
      for (const auto& package : hosting_->packages()) {
        spdlog::info("package {} ({} bytes, {} {}): {}", package.name, package.size,
                     scenario_.packages.at(package.name).sign_method, package.sign, package.url);
      }
      return true;
    } catch (const std::exception& e) {
      std::cerr << "otagw-cloudsim: cannot serve the packages: " << e.what() << '\n';
      return false;
    }
  }

  void tick() {
    if (finished_) return;
    table_->update(module_outcomes(server_->state()));
    table_timer_.expires_after(kTableInterval);
    table_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) tick();
    });
  }

  void finish_with_report() {
    table_->finish(module_outcomes(server_->state()));
    const auto report = server_->report();
    bool all_met = true;
    for (const auto& judged : judge_expectations(server_->state())) {
      if (judged.met) continue;
      all_met = false;
      const auto& e = judged.expectation;
      const std::string what = e.is_overlap() ? expectation_text(e) : e.device_name + " (" + e.module + ")";
      std::cerr << "otagw-cloudsim: expectation not met: " << what << ": " << judged.detail << '\n';
    }
    const int code = !write_report(report) ? kExitFailure : all_met ? kExitOk : kExitExpectations;
    finish(code);
  }

  bool write_report(const nlohmann::json& report) {
    const auto& counters = report["counters"];
    spdlog::info("{} messages, {} replies, {} violations", counters["messages"].get<std::uint64_t>(),
                 counters["replies"].get<std::uint64_t>(), counters["violations"].get<std::uint64_t>());
    if (!command_.report) return true;
    if (const auto ec = transports::write_file_atomically(*command_.report, report.dump(1) + "\n", 0644)) {
      std::cerr << "otagw-cloudsim: cannot write the report: " << ec.message() << '\n';
      return false;
    }
    spdlog::info("report written to {}", command_.report->string());
    return true;
  }

  void finish(int code) {
    if (finished_) return;
    finished_ = true;
    exit_code_ = code;
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    table_timer_.cancel();
    if (server_) server_->stop();
    if (hosting_) hosting_->stop();
    // After the session's own posted teardown (DISCONNECT), not before it.
    asio::post(io_, [this] { io_.stop(); });
  }

  const ServeCommand& command_;
  const Scenario& scenario_;
  Scenario served_;
  std::filesystem::path temp_dir_;
  asio::io_context io_;
  asio::thread_pool pool_{1};
  std::optional<PackageHost> hosting_;
  std::optional<SimServer> server_;
  std::optional<StatusTable> table_;
  asio::signal_set signals_;
  asio::steady_timer table_timer_;
  bool finished_ = false;
  bool connect_failed_ = false;
  int exit_code_ = kExitOk;
};

}  // namespace

std::optional<Scenario> load_or_explain(const std::filesystem::path& file) {
  auto loaded = load_scenario(file);
  for (const auto& error : loaded.errors) std::cerr << "otagw-cloudsim: " << file.string() << ": " << error.to_string() << '\n';
  return std::move(loaded.scenario);
}

int run_serve(const ServeCommand& command) {
  const auto scenario = load_or_explain(command.scenario);
  if (!scenario) return kExitUsage;
  spdlog::set_level(spdlog::level::from_str(command.log_level));
  // A closed stdout (the test stopped reading) must not kill us with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  auto run = std::make_unique<ServeRun>(command, *scenario);
  const int code = run->run();
  if (run->pool_may_hang()) {
    spdlog::default_logger()->flush();
    std::fflush(nullptr);
    ::_exit(code);
  }
  return code;
}

int run_devices_file(const DevicesFileCommand& command) {
  const auto scenario = load_or_explain(command.scenario);
  if (!scenario) return kExitUsage;
  std::cout << devices_file_text(*scenario) << std::flush;
  return std::cout ? kExitOk : kExitFailure;
}

int run_config(const ConfigCommand& command) {
  const auto scenario = load_or_explain(command.scenario);
  if (!scenario) return kExitUsage;
  std::error_code ec;
  const auto state_dir = std::filesystem::absolute(command.state_dir, ec);
  OtagwdConfigOptions options;
  options.broker_host = command.broker_host;
  options.broker_port = command.broker_port;
  options.state_dir = state_dir.lexically_normal();
  if (command.ca_file) options.download_ca_file = std::filesystem::absolute(*command.ca_file, ec).lexically_normal();
  options.scenario_name = command.scenario.string();
  const auto work_dir = command.work_dir ? std::filesystem::absolute(*command.work_dir, ec).lexically_normal()
                                         : options.state_dir.parent_path();
  const auto rendered = render_otagwd_config(*scenario, options, make_variables(*scenario, work_dir));
  for (const auto& error : rendered.errors) {
    std::cerr << "otagw-cloudsim: " << command.scenario.string() << ": " << error << '\n';
  }
  if (!rendered.errors.empty()) return kExitUsage;
  if (!command.output) {
    std::cout << rendered.text << std::flush;
    return std::cout ? kExitOk : kExitFailure;
  }
  // It holds the devices' secrets: otagwd refuses it readable by others.
  if (const auto write_error = transports::write_file_atomically(*command.output, rendered.text, 0600)) {
    std::cerr << "otagw-cloudsim: cannot write " << command.output->string() << ": " << write_error.message() << '\n';
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace otagw::cloudsim
