#include "tools/cloudsim/sim_server.hpp"

#include <list>

#include <spdlog/spdlog.h>

#include "transports/mqtt_error.hpp"
#include "transports/mqtt_session.hpp"
#include "tools/cloudsim/outbox.hpp"
#include "tools/cloudsim/platform.hpp"
#include "tools/cloudsim/report.hpp"
#include "tools/cloudsim/topics.hpp"

namespace otagw::cloudsim {
namespace {

transports::MqttSessionOptions session_options(const ServerOptions& options) {
  transports::MqttSessionOptions session;
  session.host = options.broker_host;
  session.port = options.broker_port;
  session.tls = false;
  session.keepalive_s = 30;
  session.client_id = options.client_id;
  session.username = options.username;
  session.password = options.password;
  session.connect_timeout = options.connect_timeout;
  session.operation_timeout = std::chrono::seconds(10);
  // A local broker: come back quickly after it restarts.
  session.backoff_initial = std::chrono::milliseconds(100);
  session.backoff_max = std::chrono::seconds(2);
  return session;
}

}  // namespace

class SimServer::Impl final : public Outbox, public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::any_io_executor loop, asio::any_io_executor pool, const Scenario& scenario, ServerOptions options)
      : loop_(loop),
        options_(std::move(options)),
        session_(loop, std::move(pool), session_options(options_)),
        platform_(scenario, *this) {}

  void start(ReadyHandler ready) {
    ready_handler_ = std::move(ready);
    std::weak_ptr<Impl> weak = weak_from_this();
    // The handler runs inside the session's network read: straight into the
    // platform, which answers at once (no copy of the payload, no post).
    session_.set_message_handler([weak](std::string_view topic, std::string_view payload) {
      if (auto self = weak.lock()) self->platform_.on_message(topic, payload);
    });
    session_.set_state_handler([weak](transports::MqttState state, std::error_code why) {
      if (auto self = weak.lock()) self->on_state(state, why);
    });
    session_.start();
    session_.async_wait_connected(options_.connect_timeout, [weak](std::error_code ec) {
      if (auto self = weak.lock()) self->on_connected(ec);
    });
  }

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    for (auto& timer : timers_) timer.cancel();
    session_.stop();
    finish_startup(transports::MqttErrc::stopped);
  }

  [[nodiscard]] nlohmann::json report() const {
    auto report = make_report(platform_.state(), Clock::now());
    report["counters"]["publish_failures"] = publish_failures_;
    report["counters"]["reconnects"] = session_.connection_count() > 0 ? session_.connection_count() - 1 : 0;
    return report;
  }

  [[nodiscard]] const SimState& state() const noexcept { return platform_.state(); }

  // Outbox
  void publish(std::string topic, std::string payload, std::chrono::milliseconds delay) override {
    if (stopped_) return;
    if (delay.count() <= 0) return send(std::move(topic), std::move(payload));
    auto it = timers_.emplace(timers_.end(), loop_, delay);
    it->async_wait([weak = weak_from_this(), it, t = std::move(topic), p = std::move(payload)](
                       boost::system::error_code ec) mutable {
      auto self = weak.lock();
      if (!self) return;  // the timer died with us; `it` is gone too
      self->timers_.erase(it);
      if (!ec && !self->stopped_) self->send(std::move(t), std::move(p));
    });
  }

 private:
  void send(std::string topic, std::string payload) {
    if (spdlog::should_log(spdlog::level::debug)) {
      spdlog::debug("-> {}: {}", topic, std::string_view(payload).substr(0, 300));
    }
    session_.async_publish(std::move(topic), std::move(payload), 0, [weak = weak_from_this()](std::error_code ec) {
      if (!ec) return;
      if (auto self = weak.lock()) {
        if (self->publish_failures_++ == 0) spdlog::warn("publish failed: {}", ec.message());
      }
    });
  }

  void on_state(transports::MqttState state, std::error_code why) {
    if (state == transports::MqttState::refused && !serving_) {
      // Retrying cannot help a wrong platform password: fail now.
      refused_ = true;
      spdlog::error("the broker refused the simulator's login (username '{}'): {}", options_.username, why.message());
      session_.stop();
      return;
    }
    if (state == transports::MqttState::connected && serving_ && session_.connection_count() != subscribed_on_) {
      spdlog::warn("reconnected to the broker: subscribing again");
      platform_.on_broker_lost();
      subscribe();
    }
  }

  void on_connected(std::error_code ec) {
    if (ec) return finish_startup(refused_ ? make_error_code(transports::MqttErrc::not_authorised) : ec);
    subscribe();
  }

  void subscribe() {
    const auto connection = session_.connection_count();
    session_.async_subscribe(subscription_filters(), 1, [weak = weak_from_this(), connection](std::error_code ec) {
      auto self = weak.lock();
      if (!self) return;
      if (ec) {
        spdlog::error("subscribing to the platform topics failed: {}", ec.message());
        return self->finish_startup(ec);
      }
      self->subscribed_on_ = connection;
      self->serving_ = true;
      self->finish_startup({});
    });
  }

  void finish_startup(std::error_code ec) {
    if (!ready_handler_) return;
    auto handler = std::move(ready_handler_);
    ready_handler_ = nullptr;
    handler(ec);
  }

  asio::any_io_executor loop_;
  ServerOptions options_;
  transports::MqttSession session_;
  Platform platform_;
  ReadyHandler ready_handler_;
  std::list<asio::steady_timer> timers_;  // delayed replies and pushes
  std::uint64_t publish_failures_ = 0;
  std::uint64_t subscribed_on_ = 0;  // connection_count() of the last successful subscribe
  bool serving_ = false;
  bool refused_ = false;
  bool stopped_ = false;
};

SimServer::SimServer(asio::any_io_executor loop, asio::any_io_executor blocking_pool, const Scenario& scenario,
                     ServerOptions options)
    : impl_(std::make_shared<Impl>(std::move(loop), std::move(blocking_pool), scenario, std::move(options))) {}

SimServer::~SimServer() { impl_->stop(); }

void SimServer::start(ReadyHandler ready) { impl_->start(std::move(ready)); }
void SimServer::stop() { impl_->stop(); }
nlohmann::json SimServer::report() const { return impl_->report(); }
const SimState& SimServer::state() const { return impl_->state(); }

}  // namespace otagw::cloudsim
