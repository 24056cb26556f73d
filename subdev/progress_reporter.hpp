#pragma once
// Reports a firmware job's progress on /ota/device/progress/{pk}/{dn} the way
// the platform expects: step "1".."100" (percent downloaded, as a string),
// "-1" upgrade failed, "-2" download failed, "-3" verification failed, "-4"
// flashing failed; always the sub-device's own module.
//
// Download progress is throttled (every 5 % and at most once a second) and
// dropped while the session is down; the final steps (100 and failures) wait
// for the session to come back, so a lost connection does not lose them.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "subdev/cloud_rpc.hpp"
#include "subdev/publish_pacer.hpp"
#include "transports/mqtt_session.hpp"

namespace otagw::subdev {

class FleetStatus;

// What a job's publish for its sub-device waits for besides the session: the
// sweep's online set logged in again on the current connection (after a
// reconnect the platform holds every sub-device offline and drops its
// messages until then). Both set, or the gate is open.
struct OnlineGate {
  std::function<bool()> current;                  // logged in on this connection
  std::function<asio::awaitable<bool>()> ensure;  // logs it in; false: not done (the session dropped)
};

// Waits (at most `within`) until the session is connected and `gate` (may be
// null) logged in on it. False when the session did not come back in time.
asio::awaitable<bool> ready_to_publish(transports::MqttSession& session, const OnlineGate* gate,
                                       std::chrono::milliseconds within);

enum class FailureStep : int {
  upgrade_failed = -1,
  download_failed = -2,
  verification_failed = -3,
  flashing_failed = -4,
};

class ProgressReporter {
 public:
  // `gate` and `status` (may be null) outlive the reporter. The operator's
  // view (`status`) hears every progress (it throttles itself), the failure
  // steps' desc as the module's error, and when a final step waits.
  ProgressReporter(transports::MqttSession& session, CloudRpc& rpc, std::string product_key, std::string device_name,
                   std::string module, const OnlineGate* gate = nullptr, FleetStatus* status = nullptr);

  // Bytes received so far; publishes when due. Never blocks: dropped while
  // the session is down or the gate not logged in again (the final step
  // logs it in).
  void on_download_progress(std::uint64_t done, std::uint64_t total);

  // Step 100: the download is complete (and verified).
  asio::awaitable<void> download_complete();
  asio::awaitable<void> failed(FailureStep step, std::string desc);

  // How long a final step waits for a lost session before it is given up.
  static constexpr std::chrono::minutes kFinalReportWait{10};

 private:
  void publish_now(int step, const std::string& desc);
  asio::awaitable<void> publish_final(int step, std::string desc);

  transports::MqttSession& session_;
  CloudRpc& rpc_;
  const OnlineGate* gate_;
  FleetStatus* status_;
  std::string device_key_;
  std::string topic_;
  std::string device_;  // "PK/DN", for the log
  std::string module_;
  int last_step_ = 0;
  std::chrono::steady_clock::time_point last_sent_{};
};

}  // namespace otagw::subdev
