#include "tools/cloudsim/local_broker.hpp"

#include <csignal>
#include <fstream>
#include <sstream>

namespace otagw::cloudsim {
namespace {

constexpr int kAttempts = 3;
constexpr auto kStartTimeout = std::chrono::seconds(5);

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::uint16_t free_port(asio::any_io_executor executor) {
  asio::ip::tcp::acceptor acceptor(executor, asio::ip::tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

void write_config(const BrokerSetup& setup, std::uint16_t port) {
  std::ofstream devices(setup.dir / "devices.txt", std::ios::trunc);
  devices << setup.devices_file_text;
  std::ofstream conf(setup.dir / "mosquitto.conf", std::ios::trunc);
  conf << "# Written by otagw-cloudsim run.\n"
       << "per_listener_settings false\n"
       // As root mosquitto would drop to user mosquitto, which cannot read
       // this directory (docs/style.md).
       << "user root\n"
       << "persistence false\n"
       << "set_tcp_nodelay true\n"
       << "allow_anonymous false\n"
       << "log_dest file " << (setup.dir / "broker.log").string() << "\n"
       << "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
       << "connection_messages true\n"
       << "plugin " << setup.auth_plugin.string() << "\n"
       << "plugin_opt_devices_file " << (setup.dir / "devices.txt").string() << "\n"
       << "plugin_opt_platform_username " << setup.platform_username << "\n"
       << "plugin_opt_platform_password " << setup.platform_password << "\n"
       // Listener options after their listener line (a 2.0.11 quirk).
       << "listener " << port << " 127.0.0.1\n";
  if (!devices.flush() || !conf.flush()) throw std::runtime_error("cannot write the broker config in " + setup.dir.string());
}

// A TCP handshake with 127.0.0.1:port that is not a connection to itself
// (a connect from the ephemeral range can pick the port it connects to).
asio::awaitable<bool> accepts(std::uint16_t port) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::socket socket(executor);
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), port);
  boost::system::error_code ec;
  co_await socket.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return false;
  const auto local = socket.local_endpoint(ec);
  co_return !ec && local.port() != port;
}

}  // namespace

asio::awaitable<LocalBroker::Started> LocalBroker::async_start(BrokerSetup setup) {
  auto executor = co_await asio::this_coro::executor;
  Started started;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    const std::uint16_t port = free_port(executor);
    write_config(setup, port);
    std::vector<std::string> argv = {setup.mosquitto.string(), "-c", (setup.dir / "mosquitto.conf").string()};
    auto process = std::make_unique<WatchedProcess>(executor, std::move(argv), environment_with({}),
                                                    setup.dir / "mosquitto.out");
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (std::chrono::steady_clock::now() < deadline && !process->exited()) {
      const bool up = co_await accepts(port);
      if (up) {
        if (!process->exited()) {
          started.broker = std::make_unique<LocalBroker>(std::move(setup), port, std::move(process));
          co_return started;
        }
        break;
      }
      asio::steady_timer pause(executor, std::chrono::milliseconds(20));
      co_await pause.async_wait(asio::use_awaitable);
    }
    started.error = "mosquitto did not start on 127.0.0.1:" + std::to_string(port) + " (config " +
                    (setup.dir / "mosquitto.conf").string() + ")\n" + read_file(setup.dir / "mosquitto.out") +
                    read_file(setup.dir / "broker.log");
    if (!process->exited()) break;  // running but not accepting: another port will not help
  }
  co_return started;
}

asio::awaitable<void> LocalBroker::async_stop() {
  if (!process_) co_return;
  process_->signal_group(SIGTERM);
  const bool exited = co_await process_->wait_for(std::chrono::seconds(5));
  if (!exited) process_->signal_group(SIGKILL);
  process_.reset();  // reaps (after SIGKILL)
}

}  // namespace otagw::cloudsim
