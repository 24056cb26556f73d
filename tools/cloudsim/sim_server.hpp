#pragma once
// The simulated platform on MQTT: one MqttSession to the broker (as the
// platform's superuser), the subscriptions of topics.hpp, the Platform logic,
// and delayed publishing. Reusable by any command that owns an io_context.
//
// Threading: everything on the io_context's thread; the blocking pool only
// runs MqttSession's connect.
#include <functional>
#include <memory>
#include <system_error>

#include <nlohmann/json.hpp>

#include "transports/asio.hpp"
#include "tools/cloudsim/scenario.hpp"
#include "tools/cloudsim/server_options.hpp"
#include "tools/cloudsim/sim_state.hpp"

namespace otagw::cloudsim {

class SimServer {
 public:
  // Called once: {} when connected and subscribed (serving), or why not:
  // MqttErrc::timed_out (no connection within connect_timeout),
  // not_authorised (the broker refused the login), a subscribe error, stopped.
  using ReadyHandler = std::function<void(std::error_code)>;

  SimServer(asio::any_io_executor loop, asio::any_io_executor blocking_pool, const Scenario& scenario,
            ServerOptions options);
  ~SimServer();
  SimServer(const SimServer&) = delete;
  SimServer& operator=(const SimServer&) = delete;

  // Connects, subscribes (QoS 1), then calls `ready`. After a lost connection
  // the session reconnects by itself and the subscriptions are renewed.
  void start(ReadyHandler ready);

  // Disconnects and drops delayed messages not yet sent. Idempotent.
  void stop();

  // The report as of now (report.hpp), plus counters.publish_failures.
  [[nodiscard]] nlohmann::json report() const;

  // What the platform recorded so far (outcome.hpp reads it). Valid while
  // the server lives; read it on the loop's thread.
  [[nodiscard]] const SimState& state() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace otagw::cloudsim
