#pragma once
// The gateway's single MQTT session to the cloud.
//
// libmosquitto driven by the daemon's io_context: no library thread. The
// blocking part of a connect (DNS, TCP, TLS handshake) runs on the daemon's
// small blocking-call pool with a time-out, while the loop leaves that handle
// alone; everything else (reads, writes, keep-alive) runs on the loop.
//
// After start() the session connects and reconnects on its own, with capped
// exponential back-off and jitter, until stop(). Subscriptions do not survive a
// reconnect (clean session): owners re-subscribe when they see `connected`.
//
// Threading: every member function must be called on the io_context's thread.
// Handlers (message, state, completions) run on that thread too.
//
// Writing: a packet goes out at once; a burst written in one turn of the
// loop (by one handler or coroutine step after another until the loop gets
// back to its queue) leaves, from its second packet on, in one TCP segment at
// the turn's end. Nothing waits beyond that turn.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "config/secret.hpp"
#include "transports/asio.hpp"
#include "transports/supervised_task.hpp"
#include "transports/completion.hpp"

namespace otagw::transports {

enum class MqttState {
  connecting,  // a connection attempt is under way (or waiting for its back-off)
  connected,   // CONNACK accepted
  refused,     // CONNACK refused the credentials; retried with back-off
  stopped,     // stop() was called
};

[[nodiscard]] std::string_view to_string(MqttState state) noexcept;

struct MqttSessionOptions {
  std::string host;
  std::uint16_t port = 1883;
  bool tls = true;
  bool tls_verify = true;  // false: no certificate or host name check (development only)
  std::string ca_file;     // empty = the system trust store
  int keepalive_s = 60;
  std::string client_id;
  std::string username;
  config::Secret password;
  std::chrono::milliseconds connect_timeout{30000};  // TCP + TLS + CONNACK
  std::chrono::milliseconds operation_timeout{10000};  // SUBACK / UNSUBACK / PUBACK
  std::chrono::milliseconds backoff_initial{1000};
  std::chrono::milliseconds backoff_max{120000};
  // The session's own task (connect, reconnect, back-off) died, or a message
  // handler threw: a bug. Empty: log and abort (transports/supervised_task.hpp).
  TaskFailureHandler on_failure;
};

class MqttSession {
 public:
  // Why the state changed; for `connecting` after a lost or failed connection
  // the error says what happened (MqttErrc or a system error).
  using StateHandler = std::function<void(MqttState, std::error_code)>;
  using MessageHandler = std::function<void(std::string_view topic, std::string_view payload)>;

  MqttSession(asio::any_io_executor loop, asio::any_io_executor blocking_pool, MqttSessionOptions options);
  ~MqttSession();
  MqttSession(const MqttSession&) = delete;
  MqttSession& operator=(const MqttSession&) = delete;

  void set_state_handler(StateHandler handler);
  // Called for every PUBLISH received, inside the network read: keep it short
  // and never block. Publishing from it is fine.
  void set_message_handler(MessageHandler handler);

  void start();
  // A reload: the next connection uses `options` (on_failure is kept). A
  // live connection is closed (DISCONNECT) and made again at once, without
  // back-off; operations in flight fail with connection_lost (the state
  // handler hears `connecting` with MqttErrc::reconfigured); a back-off under
  // way ends at once.
  void reconfigure(MqttSessionOptions options);
  // Sends DISCONNECT if connected, fails pending operations with
  // MqttErrc::stopped and stops reconnecting. Idempotent.
  void stop();

  [[nodiscard]] MqttState state() const noexcept;
  // Counts accepted CONNACKs; changes on every new connection, so an owner can
  // tell that its subscriptions are gone.
  [[nodiscard]] std::uint64_t connection_count() const noexcept;

  // Each completes with void(std::error_code): {} on SUBACK (all topics
  // granted) / UNSUBACK / PUBACK (QoS 1) or once handed to the socket (QoS 0);
  // MqttErrc::not_connected if there is no session, connection_lost if it
  // dropped meanwhile, timed_out after options.operation_timeout,
  // subscribe_rejected, invalid_argument, stopped. Never completes inline.
  template <typename Token>
  auto async_subscribe(std::vector<std::string> topics, int qos, Token&& token) {
    return asio::async_initiate<Token, void(std::error_code)>(
        [this](auto handler, std::vector<std::string> t, int q) {
          start_subscribe(std::move(t), q, Completion<void(std::error_code)>(std::move(handler), executor()));
        },
        token, std::move(topics), qos);
  }

  template <typename Token>
  auto async_unsubscribe(std::vector<std::string> topics, Token&& token) {
    return asio::async_initiate<Token, void(std::error_code)>(
        [this](auto handler, std::vector<std::string> t) {
          start_unsubscribe(std::move(t), Completion<void(std::error_code)>(std::move(handler), executor()));
        },
        token, std::move(topics));
  }

  template <typename Token>
  auto async_publish(std::string topic, std::string payload, int qos, Token&& token) {
    return asio::async_initiate<Token, void(std::error_code)>(
        [this](auto handler, std::string t, std::string p, int q) {
          start_publish(std::move(t), std::move(p), q,
                        Completion<void(std::error_code)>(std::move(handler), executor()));
        },
        token, std::move(topic), std::move(payload), qos);
  }

  // A QoS 0 publish without a completion, for a caller that sends a few
  // messages in a row (a visit's inform and query) and needs no turn of the
  // loop in between: {} once libmosquitto has taken the message (in order
  // with every other packet), MqttErrc::not_connected or invalid_argument.
  [[nodiscard]] std::error_code publish_now(const std::string& topic, std::string_view payload);

  // Completes with {} as soon as the session is connected (at once, posted, if
  // it is), MqttErrc::timed_out after `timeout`, MqttErrc::stopped on stop().
  template <typename Token>
  auto async_wait_connected(std::chrono::milliseconds timeout, Token&& token) {
    return asio::async_initiate<Token, void(std::error_code)>(
        [this](auto handler, std::chrono::milliseconds t) {
          start_wait_connected(t, Completion<void(std::error_code)>(std::move(handler), executor()));
        },
        token, timeout);
  }

  [[nodiscard]] asio::any_io_executor executor() const;

 private:
  class Impl;

  void start_subscribe(std::vector<std::string> topics, int qos, Completion<void(std::error_code)> done);
  void start_unsubscribe(std::vector<std::string> topics, Completion<void(std::error_code)> done);
  void start_publish(std::string topic, std::string payload, int qos, Completion<void(std::error_code)> done);
  void start_wait_connected(std::chrono::milliseconds timeout, Completion<void(std::error_code)> done);

  std::shared_ptr<Impl> impl_;
};

}  // namespace otagw::transports
