#include "subdev/progress_reporter.hpp"

#include "subdev/fleet_status.hpp"

#include <spdlog/spdlog.h>

#include "subdev/json_text.hpp"
#include "subdev/topics.hpp"
#include "transports/device_log.hpp"

namespace otagw::subdev {
namespace {

constexpr int kStepGranularity = 5;
constexpr std::chrono::seconds kMinInterval{1};

}  // namespace

asio::awaitable<bool> ready_to_publish(transports::MqttSession& session, const OnlineGate* gate,
                                       std::chrono::milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  for (;;) {
    if (session.state() != transports::MqttState::connected) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) co_return false;
      const auto ec = co_await session.async_wait_connected(left, asio::use_awaitable);
      if (ec) co_return false;
    }
    if (gate == nullptr || !gate->current || !gate->ensure || gate->current()) co_return true;
    const bool logged_in = co_await gate->ensure();
    // Not logged in while still connected (a refused subscription): the
    // publish goes out as before rather than waiting for ever.
    if (logged_in || session.state() == transports::MqttState::connected) co_return true;
  }
}

ProgressReporter::ProgressReporter(transports::MqttSession& session, CloudRpc& rpc, std::string product_key,
                                   std::string device_name, std::string module, const OnlineGate* gate,
                                   FleetStatus* status)
    : session_(session),
      rpc_(rpc),
      gate_(gate),
      status_(status),
      device_key_(product_key + "." + device_name),
      topic_(topics::ota_progress(product_key, device_name)),
      device_(product_key + "/" + device_name),
      module_(std::move(module)) {}

void ProgressReporter::publish_now(int step, const std::string& desc) {
  nlohmann::json params = {{"step", std::to_string(step)}, {"desc", desc}};
  if (!module_.empty()) params["module"] = module_;
  const nlohmann::json message = {{"id", rpc_.next_id()}, {"params", std::move(params)}};
  session_.async_publish(topic_, json_text(message), 0, [topic = topic_, device = device_](std::error_code ec) {
    if (ec) device_log::debug(device, "", "progress on {} not sent: {}", topic, ec.message());
  });
}

void ProgressReporter::on_download_progress(std::uint64_t done, std::uint64_t total) {
  if (total == 0) return;
  // 1..99 while downloading: 100 is said only once the image is complete.
  const int step = static_cast<int>(std::min<std::uint64_t>(99, done * 100 / total));
  if (status_ != nullptr) status_->set_download_progress(device_key_, module_, step);
  const auto now = std::chrono::steady_clock::now();
  if (step < 1 || step < last_step_ + kStepGranularity || now - last_sent_ < kMinInterval) return;
  if (session_.state() != transports::MqttState::connected) return;
  if (gate_ != nullptr && gate_->current && !gate_->current()) return;
  last_step_ = step;
  last_sent_ = now;
  publish_now(step, "downloading");
}

asio::awaitable<void> ProgressReporter::publish_final(int step, std::string desc) {
  const bool waits = session_.state() != transports::MqttState::connected ||
                     (gate_ != nullptr && gate_->current && !gate_->current());
  if (waits && status_ != nullptr) status_->set_activity(device_key_, module_, DeviceActivity::reporting);
  const bool ready = co_await ready_to_publish(
      session_, gate_, std::chrono::duration_cast<std::chrono::milliseconds>(kFinalReportWait));
  if (!ready) {
    device_log::warn(device_, "", "{}: step {} not reported: no connection to the cloud", topic_, step);
    co_return;
  }
  nlohmann::json params = {{"step", std::to_string(step)}, {"desc", desc}};
  if (!module_.empty()) params["module"] = module_;
  const nlohmann::json message = {{"id", rpc_.next_id()}, {"params", std::move(params)}};
  const auto ec = co_await session_.async_publish(topic_, json_text(message), 1, asio::use_awaitable);
  if (ec) device_log::warn(device_, "", "{}: step {} not reported: {}", topic_, step, ec.message());
}

asio::awaitable<void> ProgressReporter::download_complete() {
  last_step_ = 100;
  co_await publish_final(100, "download complete");
}

asio::awaitable<void> ProgressReporter::failed(FailureStep step, std::string desc) {
  if (status_ != nullptr) status_->set_error(device_key_, module_, "step " + std::to_string(static_cast<int>(step)) + ": " + desc);
  co_await publish_final(static_cast<int>(step), std::move(desc));
}

}  // namespace otagw::subdev
