#include "subdev/progress_reporter.hpp"

#include <spdlog/spdlog.h>

#include "subdev/json_text.hpp"
#include "subdev/topics.hpp"

namespace otagw::subdev {
namespace {

constexpr int kStepGranularity = 5;
constexpr std::chrono::seconds kMinInterval{1};

}  // namespace

ProgressReporter::ProgressReporter(transports::MqttSession& session, CloudRpc& rpc, std::string product_key,
                                   std::string device_name, std::string module)
    : session_(session),
      rpc_(rpc),
      topic_(topics::ota_progress(product_key, device_name)),
      module_(std::move(module)) {}

void ProgressReporter::publish_now(int step, const std::string& desc) {
  nlohmann::json params = {{"step", std::to_string(step)}, {"desc", desc}};
  if (!module_.empty()) params["module"] = module_;
  const nlohmann::json message = {{"id", rpc_.next_id()}, {"params", std::move(params)}};
  session_.async_publish(topic_, json_text(message), 0, [topic = topic_](std::error_code ec) {
    if (ec) spdlog::debug("progress on {} not sent: {}", topic, ec.message());
  });
}

void ProgressReporter::on_download_progress(std::uint64_t done, std::uint64_t total) {
  if (total == 0) return;
  // 1..99 while downloading: 100 is said only once the image is complete.
  const int step = static_cast<int>(std::min<std::uint64_t>(99, done * 100 / total));
  const auto now = std::chrono::steady_clock::now();
  if (step < 1 || step < last_step_ + kStepGranularity || now - last_sent_ < kMinInterval) return;
  if (session_.state() != transports::MqttState::connected) return;
  last_step_ = step;
  last_sent_ = now;
  publish_now(step, "downloading");
}

asio::awaitable<void> ProgressReporter::publish_final(int step, std::string desc) {
  if (session_.state() != transports::MqttState::connected) {
    const auto ec = co_await session_.async_wait_connected(
        std::chrono::duration_cast<std::chrono::milliseconds>(kFinalReportWait), asio::use_awaitable);
    if (ec) {
      spdlog::warn("{}: step {} not reported: {}", topic_, step, ec.message());
      co_return;
    }
  }
  nlohmann::json params = {{"step", std::to_string(step)}, {"desc", desc}};
  if (!module_.empty()) params["module"] = module_;
  const nlohmann::json message = {{"id", rpc_.next_id()}, {"params", std::move(params)}};
  const auto ec = co_await session_.async_publish(topic_, json_text(message), 1, asio::use_awaitable);
  if (ec) spdlog::warn("{}: step {} not reported: {}", topic_, step, ec.message());
}

asio::awaitable<void> ProgressReporter::download_complete() {
  last_step_ = 100;
  co_await publish_final(100, "download complete");
}

asio::awaitable<void> ProgressReporter::failed(FailureStep step, std::string desc) {
  co_await publish_final(static_cast<int>(step), std::move(desc));
}

}  // namespace otagw::subdev
