#pragma once
// The broker `otagw-cloudsim run` starts: mosquitto on a free 127.0.0.1 port
// with the platform's sign-in check (otagw_mqtt_auth.so and a devices file
// holding the gateway), a platform user for the simulator's own connection,
// and its files (mosquitto.conf, devices.txt, broker.log) in one directory.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "transports/asio.hpp"
#include "tools/cloudsim/watched_process.hpp"

namespace otagw::cloudsim {

struct BrokerSetup {
  std::filesystem::path dir;  // exists; receives the config, devices file and logs
  std::filesystem::path mosquitto;
  std::filesystem::path auth_plugin;
  std::string devices_file_text;  // devices_file_text(scenario)
  std::string platform_username;
  std::string platform_password;  // no white space
};

class LocalBroker {
 public:
  struct Started;

  // Starts mosquitto and waits (5 s at most per try) until it accepts TCP
  // connections; a broker that exits at once (the port was taken meanwhile)
  // is tried again on another port, three times in all.
  static asio::awaitable<Started> async_start(BrokerSetup setup);

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] std::filesystem::path log_file() const { return setup_.dir / "broker.log"; }

  // SIGTERM, then SIGKILL after 5 s.
  asio::awaitable<void> async_stop();

  LocalBroker(BrokerSetup setup, std::uint16_t port, std::unique_ptr<WatchedProcess> process)
      : setup_(std::move(setup)), port_(port), process_(std::move(process)) {}

 private:
  BrokerSetup setup_;
  std::uint16_t port_;
  std::unique_ptr<WatchedProcess> process_;
};

struct LocalBroker::Started {
  std::unique_ptr<LocalBroker> broker;  // null on failure
  std::string error;                    // why, with the broker's own output
};

}  // namespace otagw::cloudsim
