#include "tools/cloudsim/commands.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>

#include <spdlog/spdlog.h>

#include "transports/asio.hpp"
#include "tools/cloudsim/devices_file.hpp"
#include "tools/cloudsim/report.hpp"
#include "tools/cloudsim/scenario_load.hpp"
#include "tools/cloudsim/sim_server.hpp"

namespace otagw::cloudsim {
namespace {

std::optional<Scenario> load_or_explain(const std::filesystem::path& file) {
  auto loaded = load_scenario(file);
  for (const auto& error : loaded.errors) std::cerr << "otagw-cloudsim: " << file.string() << ": " << error.to_string() << '\n';
  return std::move(loaded.scenario);
}

// The whole run of `serve` on one io_context.
class ServeRun {
 public:
  ServeRun(const ServeCommand& command, const Scenario& scenario)
      : command_(command),
        server_(io_.get_executor(), pool_.get_executor(), scenario, command.server),
        signals_(io_, SIGINT, SIGTERM) {}

  ~ServeRun() {
    pool_.stop();
    pool_.join();
  }

  int run() {
    signals_.async_wait([this](boost::system::error_code ec, int signal) {
      if (ec) return;
      spdlog::info("signal {}: stopping", signal);
      finish(write_report() ? kExitOk : kExitFailure);
    });
    server_.start([this](std::error_code ec) {
      if (finished_) return;
      if (ec) {
        std::cerr << "otagw-cloudsim: cannot serve on " << command_.server.broker_host << ':'
                  << command_.server.broker_port << ": " << ec.message() << '\n';
        connect_failed_ = true;
        return finish(kExitFailure);
      }
      spdlog::info("serving the platform for gateway on {}:{}", command_.server.broker_host,
                   command_.server.broker_port);
      std::fputs("ready\n", stdout);
      std::fflush(stdout);
    });
    io_.run();
    return exit_code_;
  }

  // A connect that never returns (a host that drops SYNs) would hold the
  // blocking pool's join for minutes after we gave up on it.
  [[nodiscard]] bool pool_may_hang() const noexcept { return connect_failed_; }

 private:
  bool write_report() {
    const auto report = server_.report();
    const auto& counters = report["counters"];
    spdlog::info("{} messages, {} replies, {} violations", counters["messages"].get<std::uint64_t>(),
                 counters["replies"].get<std::uint64_t>(), counters["violations"].get<std::uint64_t>());
    if (!command_.report) return true;
    const auto written = write_file_atomically(*command_.report, report.dump(1) + "\n");
    if (!written) {
      std::cerr << "otagw-cloudsim: cannot write the report: " << written.error().message() << '\n';
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
    server_.stop();
    // After the session's own posted teardown (DISCONNECT), not before it.
    asio::post(io_, [this] { io_.stop(); });
  }

  const ServeCommand& command_;
  asio::io_context io_;
  asio::thread_pool pool_{1};
  SimServer server_;
  asio::signal_set signals_;
  bool finished_ = false;
  bool connect_failed_ = false;
  int exit_code_ = kExitOk;
};

}  // namespace

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

}  // namespace otagw::cloudsim
