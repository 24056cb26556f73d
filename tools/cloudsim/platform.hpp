#pragma once
// The simulated platform's logic, free of any transport: feed it every
// message received on the subscription_filters() topics; it answers through
// the Outbox and keeps what the report needs. Never throws out of
// on_message: whatever a message holds, it is at worst a violation.
//
// Threading: one thread (the server's io_context), like MqttSession.
#include <chrono>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tools/cloudsim/outbox.hpp"
#include "tools/cloudsim/scenario.hpp"
#include "tools/cloudsim/sim_state.hpp"

namespace otagw::cloudsim {

class Platform {
 public:
  // `outbox` must outlive the Platform. t_ms in records counts from `started`.
  Platform(const Scenario& scenario, Outbox& outbox, Clock::time_point started = Clock::now());

  void on_message(std::string_view topic, std::string_view payload, Clock::time_point now = Clock::now());
  // The simulator's own broker connection dropped: the gateway's went with it,
  // so every sub-device is offline until it is logged in again.
  void on_broker_lost();

  [[nodiscard]] const SimState& state() const noexcept { return state_; }

 private:
  SimState state_;
};

}  // namespace otagw::cloudsim
