// MqttSession on libmosquitto, driven by the io_context (see mqtt_session.hpp).
//
// libmosquitto owns the socket; we watch its descriptor with a
// stream_descriptor we never let close it (release() before the handle goes),
// call mosquitto_loop_read/write when it is ready and mosquitto_loop_misc from
// a timer for keep-alive. Each connection attempt gets a fresh handle: a
// connect that times out on the blocking pool is simply abandoned, and its
// handle is destroyed by whoever drops the last reference.
#include <mosquitto.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <optional>

#include "transports/backoff.hpp"
#include "transports/log_text.hpp"
#include "transports/mqtt_error.hpp"
#include "transports/mqtt_session.hpp"

namespace otagw::transports {
namespace {

using Clock = std::chrono::steady_clock;
using MosquittoHandle = std::shared_ptr<mosquitto>;

// mosquitto_lib_init is not thread-safe and must run once before any handle.
void init_mosquitto_library() {
  static const bool initialised = [] {
    mosquitto_lib_init();
    return true;
  }();
  (void)initialised;
}

MqttErrc errc_for_api_result(int rc) {
  switch (rc) {
    case MOSQ_ERR_NO_CONN: return MqttErrc::not_connected;
    case MOSQ_ERR_CONN_LOST: return MqttErrc::connection_lost;
    default: return MqttErrc::invalid_argument;
  }
}

std::string describe_connect_failure(int rc, int saved_errno) {
  if (rc == MOSQ_ERR_ERRNO) return std::strerror(saved_errno);
  if (rc == MOSQ_ERR_EAI) return "host name lookup failed";
  return mosquitto_strerror(rc);
}

}  // namespace

std::string_view to_string(MqttState state) noexcept {
  switch (state) {
    case MqttState::connecting: return "connecting";
    case MqttState::connected: return "connected";
    case MqttState::refused: return "refused";
    case MqttState::stopped: return "stopped";
  }
  return "unknown";
}

class MqttSession::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::any_io_executor loop, asio::any_io_executor pool, MqttSessionOptions options)
      : loop_(std::move(loop)),
        pool_(std::move(pool)),
        options_(std::move(options)),
        backoff_(options_.backoff_initial, options_.backoff_max),
        wake_(loop_),
        misc_timer_(loop_),
        deadline_timer_(loop_) {}

  // ---- public operations -------------------------------------------------

  void start() {
    if (started_) return;
    started_ = true;
    init_mosquitto_library();
    spawn_supervised(loop_, "MQTT session", run(shared_from_this()), options_.on_failure);
  }

  // The teardown is posted: stop() may be called from a message handler, that
  // is from inside mosquitto_loop_read, where the handle must stay alive.
  void stop() {
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, waiter] : waiters_) waiter.done.complete(MqttErrc::stopped);
    waiters_.clear();
    wake_.cancel();
    asio::post(loop_, [self = shared_from_this()] {
      self->teardown(MqttErrc::stopped, /*send_disconnect=*/true);
      if (!self->started_) self->set_state(MqttState::stopped, {});
    });
  }

  void reconfigure(MqttSessionOptions options) {
    options.on_failure = options_.on_failure;
    next_options_ = std::move(options);
    wake_.cancel();
  }

  // The owner is going away: nothing may call back into it.
  void forget_handlers() {
    on_state_ = nullptr;
    on_message_ = nullptr;
  }

  void subscribe(std::vector<std::string> topics, int qos, Completion<void(std::error_code)> done) {
    if (!connected()) return done.complete(MqttErrc::not_connected);
    hold_output();
    std::vector<char*> pointers;
    for (auto& topic : topics) pointers.push_back(topic.data());
    int mid = 0;
    const int rc = mosquitto_subscribe_multiple(mosq_.get(), &mid, static_cast<int>(pointers.size()),
                                                pointers.data(), qos, 0, nullptr);
    after_call();
    if (rc != MOSQ_ERR_SUCCESS) return done.complete(errc_for_api_result(rc));
    track(mid, std::move(done));
  }

  void unsubscribe(std::vector<std::string> topics, Completion<void(std::error_code)> done) {
    if (!connected()) return done.complete(MqttErrc::not_connected);
    hold_output();
    std::vector<char*> pointers;
    for (auto& topic : topics) pointers.push_back(topic.data());
    int mid = 0;
    const int rc = mosquitto_unsubscribe_multiple(mosq_.get(), &mid, static_cast<int>(pointers.size()),
                                                  pointers.data(), nullptr);
    after_call();
    if (rc != MOSQ_ERR_SUCCESS) return done.complete(errc_for_api_result(rc));
    track(mid, std::move(done));
  }

  void publish(const std::string& topic, const std::string& payload, int qos, Completion<void(std::error_code)> done) {
    if (!connected()) return done.complete(MqttErrc::not_connected);
    int mid = 0;
    const int rc = send_publish(topic, payload, qos, &mid);
    if (rc != MOSQ_ERR_SUCCESS) return done.complete(errc_for_api_result(rc));
    // QoS 0 has no acknowledgement: done once libmosquitto has taken it (it is
    // written in the call unless the socket is full, and kept in order).
    if (qos == 0) return done.complete({});
    track(mid, std::move(done));
  }

  std::error_code publish_now(const std::string& topic, std::string_view payload) {
    if (!connected()) return MqttErrc::not_connected;
    const int rc = send_publish(topic, payload, 0, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) return errc_for_api_result(rc);
    return {};
  }

  void wait_connected(std::chrono::milliseconds timeout, Completion<void(std::error_code)> done) {
    if (stopping_) return done.complete(MqttErrc::stopped);
    if (connected()) return done.complete({});
    const auto id = next_waiter_id_++;
    auto& waiter = waiters_[id];
    waiter.done = std::move(done);
    waiter.timer = std::make_unique<asio::steady_timer>(loop_, timeout);
    waiter.timer->async_wait([weak = weak_from_this(), id](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      if (auto it = self->waiters_.find(id); it != self->waiters_.end()) {
        it->second.done.complete(MqttErrc::timed_out);
        self->waiters_.erase(it);
      }
    });
  }

  void set_state_handler(StateHandler handler) { on_state_ = std::move(handler); }
  void set_message_handler(MessageHandler handler) { on_message_ = std::move(handler); }
  [[nodiscard]] MqttState state() const noexcept { return state_; }
  [[nodiscard]] std::uint64_t connection_count() const noexcept { return connections_; }
  [[nodiscard]] const asio::any_io_executor& executor() const noexcept { return loop_; }

 private:
  struct Operation {  // a SUBSCRIBE, UNSUBSCRIBE or QoS 1 PUBLISH waiting for its acknowledgement
    Completion<void(std::error_code)> done;
    std::uint64_t serial = 0;  // tells it from an earlier operation of the same message id
  };
  struct Deadline {
    Clock::time_point when;
    int mid = 0;
    std::uint64_t serial = 0;
  };

  struct Pending {
    Completion<void(std::error_code)> done;
    std::unique_ptr<asio::steady_timer> timer;
  };

  [[nodiscard]] bool connected() const noexcept { return state_ == MqttState::connected && mosq_ != nullptr; }

  void set_state(MqttState state, std::error_code why) {
    state_ = state;
    if (on_state_) on_state_(state, why);
  }

  // ---- the connection loop ------------------------------------------------

  static asio::awaitable<void> run(std::shared_ptr<Impl> self) {
    std::error_code last_error;
    bool announced = false;  // `connecting` already told (at the loss)
    while (!self->stopping_) {
      if (self->next_options_) {
        self->options_ = std::move(*self->next_options_);
        self->next_options_.reset();
        self->backoff_.reset();
      }
      if (!announced) self->set_state(MqttState::connecting, last_error);
      announced = false;
      last_error = co_await self->connect_once();
      if (self->stopping_) break;
      if (!last_error) {
        self->backoff_.reset();
        co_await self->wait_until(Clock::time_point::max(),
                                  [&] { return self->link_lost_ || self->stopping_ || self->next_options_; });
        if (self->stopping_) break;
        if (self->next_options_ && !self->link_lost_) {
          spdlog::info("MQTT: closing the connection to {}:{} to reconnect with new settings", self->options_.host,
                       self->options_.port);
          last_error = make_error_code(MqttErrc::reconfigured);
          // As for a lost link: owners repeat what was in flight after the reconnect.
          self->teardown(make_error_code(MqttErrc::connection_lost), /*send_disconnect=*/true);
          self->set_state(MqttState::connecting, last_error);
          announced = true;
          continue;
        }
        last_error = self->link_error_;
        spdlog::warn("MQTT connection to {}:{} lost: {}", self->options_.host, self->options_.port,
                     last_error.message());
        self->teardown(MqttErrc::connection_lost, false);
        // Not connected from the loss on, through the back-off: state()
        // must not say `connected` while there is no connection, or callers
        // that check it publish into nothing (and a sweep retries its visit
        // in a loop until the next attempt).
        self->set_state(MqttState::connecting, last_error);
        announced = true;
      } else if (last_error == MqttErrc::not_authorised) {
        self->set_state(MqttState::refused, last_error);
      }
      if (self->next_options_) continue;  // new settings: at once
      const auto delay = self->backoff_.next();
      spdlog::info("MQTT: next connection attempt in {:.1f} s", std::chrono::duration<double>(delay).count());
      co_await self->wait_until(Clock::now() + delay, [&] { return self->stopping_ || self->next_options_; });
    }
    self->set_state(MqttState::stopped, {});
  }

  // One attempt: the blocking connect on the pool, then CONNACK on the loop.
  asio::awaitable<std::error_code> connect_once() {
    MosquittoHandle handle = make_handle();
    if (!handle) co_return MqttErrc::connect_failed;

    const auto deadline = Clock::now() + options_.connect_timeout;
    const auto attempt = ++attempt_id_;
    connect_result_.reset();
    spdlog::info("MQTT: connecting to {}:{} ({})", options_.host, options_.port, options_.tls ? "TLS" : "plain TCP");
    asio::post(pool_, [self = shared_from_this(), handle, attempt, host = options_.host, port = options_.port,
                       keepalive = options_.keepalive_s] {
      const int rc = mosquitto_connect(handle.get(), host.c_str(), port, keepalive);
      const int saved_errno = errno;
      asio::post(self->loop_, [self, attempt, rc, saved_errno] {
        if (attempt != self->attempt_id_) return;  // abandoned after its time-out
        self->connect_result_ = std::pair{rc, saved_errno};
        self->wake_.cancel();
      });
    });

    co_await wait_until(deadline, [&] { return connect_result_.has_value() || stopping_; });
    if (stopping_ || !connect_result_) {
      ++attempt_id_;  // abandon: the pool keeps its own reference to the handle
      if (stopping_) co_return MqttErrc::stopped;
      spdlog::warn("MQTT: connecting to {}:{} timed out after {} s", options_.host, options_.port,
                   std::chrono::duration_cast<std::chrono::seconds>(options_.connect_timeout).count());
      co_return MqttErrc::timed_out;
    }
    if (const auto [rc, saved_errno] = *connect_result_; rc != MOSQ_ERR_SUCCESS) {
      spdlog::warn("MQTT: cannot connect to {}:{}: {}", options_.host, options_.port,
                   describe_connect_failure(rc, saved_errno));
      co_return MqttErrc::connect_failed;
    }

    bind(std::move(handle));
    co_await wait_until(deadline, [&] { return connack_rc_ >= 0 || link_lost_ || stopping_; });
    if (stopping_) co_return MqttErrc::stopped;
    if (connack_rc_ == 0) {
      ++connections_;
      spdlog::info("MQTT: connected to {}:{}", options_.host, options_.port);
      set_state(MqttState::connected, {});
      for (auto& [id, waiter] : waiters_) waiter.done.complete({});
      waiters_.clear();
      co_return std::error_code{};
    }
    std::error_code failure = link_lost_ ? link_error_ : make_error_code(MqttErrc::timed_out);
    if (connack_rc_ == 4 || connack_rc_ == 5) {
      // 4: bad user name or password, 5: not authorised. Both mean the
      // platform refused our signature, almost always a wrong secret.
      spdlog::error("MQTT sign-in to {}:{} refused ({}): not authorised: check gateway.device_secret "
                    "(and gateway.product_key / gateway.device_name)",
                    options_.host, options_.port, mosquitto_connack_string(connack_rc_));
      failure = MqttErrc::not_authorised;
    } else if (connack_rc_ > 0) {
      spdlog::error("MQTT: {}:{} refused the connection: {}", options_.host, options_.port,
                    mosquitto_connack_string(connack_rc_));
      failure = MqttErrc::connect_failed;
    } else if (!link_lost_) {
      spdlog::warn("MQTT: no CONNACK from {}:{} in time", options_.host, options_.port);
    }
    teardown(MqttErrc::connection_lost, false);
    co_return failure;
  }

  MosquittoHandle make_handle() {
    MosquittoHandle handle(mosquitto_new(options_.client_id.c_str(), true, this), mosquitto_destroy);
    if (!handle) {
      spdlog::error("MQTT: mosquitto_new failed: {}", std::strerror(errno));
      return nullptr;
    }
    mosquitto* m = handle.get();
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    // Without TCP_NODELAY every subscribe-then-publish pair waits for a delayed
    // ACK: 23 devices/s instead of thousands (performance-facts.md).
    mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_username_pw_set(m, options_.username.c_str(), options_.password.reveal().c_str());
    if (options_.tls) {
      int rc = MOSQ_ERR_SUCCESS;
      if (options_.ca_file.empty()) {
        rc = mosquitto_int_option(m, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
      } else {
        rc = mosquitto_tls_set(m, options_.ca_file.c_str(), nullptr, nullptr, nullptr, nullptr);
      }
      if (rc == MOSQ_ERR_SUCCESS && !options_.tls_verify) {
        rc = mosquitto_tls_opts_set(m, 0 /* SSL_VERIFY_NONE */, nullptr, nullptr);
        if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_tls_insecure_set(m, true);
      }
      if (rc != MOSQ_ERR_SUCCESS) {
        spdlog::error("MQTT: TLS set-up failed (ca_file '{}'): {}", options_.ca_file, mosquitto_strerror(rc));
        return nullptr;
      }
    }
    mosquitto_connect_callback_set(m, [](mosquitto*, void* self, int rc) { static_cast<Impl*>(self)->on_connack(rc); });
    mosquitto_disconnect_callback_set(
        m, [](mosquitto*, void* self, int rc) { static_cast<Impl*>(self)->on_link_lost(rc); });
    mosquitto_message_callback_set(m, [](mosquitto*, void* self, const mosquitto_message* message) {
      static_cast<Impl*>(self)->on_publish_received(*message);
    });
    mosquitto_subscribe_callback_set(m, [](mosquitto*, void* self, int mid, int count, const int* granted) {
      bool all_granted = true;
      for (int i = 0; i < count; ++i) all_granted = all_granted && granted[i] < 0x80;
      static_cast<Impl*>(self)->finish(mid, all_granted ? std::error_code{} : MqttErrc::subscribe_rejected);
    });
    mosquitto_unsubscribe_callback_set(m, [](mosquitto*, void* self, int mid) { static_cast<Impl*>(self)->finish(mid, {}); });
    mosquitto_publish_callback_set(m, [](mosquitto*, void* self, int mid) { static_cast<Impl*>(self)->finish(mid, {}); });
    return handle;
  }

  // ---- libmosquitto callbacks (always on the loop thread) ----------------

  void on_connack(int rc) {
    connack_rc_ = rc;
    wake_.cancel();
  }

  void on_link_lost(int rc) {
    if (link_lost_) return;
    link_lost_ = true;
    link_error_ = rc == MOSQ_ERR_KEEPALIVE ? make_error_code(MqttErrc::timed_out)
                                           : make_error_code(MqttErrc::connection_lost);
    wake_.cancel();
  }

  void on_publish_received(const mosquitto_message& message) {
    if (!on_message_ || message.topic == nullptr) return;
    // Called from libmosquitto's C code: nothing may unwind through it.
    try {
      on_message_(message.topic, std::string_view(static_cast<const char*>(message.payload),
                                                   static_cast<std::size_t>(message.payloadlen)));
    } catch (...) {
      auto on_failure = options_.on_failure ? options_.on_failure : TaskFailureHandler(abort_on_task_failure);
      spdlog::critical("MQTT message handler threw: {}", log_text(describe_exception(std::current_exception())));
      asio::post(loop_, [on_failure = std::move(on_failure), error = std::current_exception()] {
        on_failure("MQTT message handler", error);
      });
    }
  }

  int send_publish(const std::string& topic, std::string_view payload, int qos, int* mid) {
    hold_output();
    const int rc = mosquitto_publish(mosq_.get(), mid, topic.c_str(), static_cast<int>(payload.size()),
                                     payload.data(), qos, false);
    after_call();
    return rc;
  }

  // ---- pending operations --------------------------------------------------

  // One timer for every operation's time-out: they all wait as long, so
  // their deadlines come in the order they were sent. A timer each cost an
  // allocation, a timer-queue entry and a cancelled handler to run per
  // SUBSCRIBE and UNSUBSCRIBE, two of each a visit.
  void track(int mid, Completion<void(std::error_code)> done) {
    const std::uint64_t serial = ++operation_serial_;
    pending_[mid] = Operation{std::move(done), serial};
    deadlines_.push_back({Clock::now() + options_.operation_timeout, mid, serial});
    if (!deadline_timer_armed_) arm_deadline_timer();
  }

  [[nodiscard]] bool still_pending(const Deadline& deadline) const {
    const auto it = pending_.find(deadline.mid);
    return it != pending_.end() && it->second.serial == deadline.serial;
  }

  // Deadlines of operations that have finished go from the front.
  void drop_finished_deadlines() {
    while (!deadlines_.empty() && !still_pending(deadlines_.front())) deadlines_.pop_front();
  }

  // Left armed when the last operation finishes: it fires once, finds
  // nothing and rests (no cancel per visit); fail_pending() cancels it.
  void arm_deadline_timer() {
    drop_finished_deadlines();
    deadline_timer_armed_ = !deadlines_.empty();
    if (!deadline_timer_armed_) return;
    deadline_timer_.expires_at(deadlines_.front().when);
    deadline_timer_.async_wait([weak = weak_from_this(), wait = ++deadline_wait_](boost::system::error_code ec) {
      auto self = weak.lock();
      if (!self || wait != self->deadline_wait_) return;  // re-armed or cancelled since
      self->deadline_timer_armed_ = false;
      if (ec) return;
      const auto now = Clock::now();
      while (!self->deadlines_.empty() && self->deadlines_.front().when <= now) {
        const Deadline due = self->deadlines_.front();
        self->deadlines_.pop_front();
        if (self->still_pending(due)) self->finish(due.mid, MqttErrc::timed_out);
      }
      self->arm_deadline_timer();
    });
  }

  void finish(int mid, std::error_code ec) {
    auto it = pending_.find(mid);
    if (it == pending_.end()) return;  // QoS 0 publish, or already timed out
    Completion<void(std::error_code)> done = std::move(it->second.done);
    pending_.erase(it);
    drop_finished_deadlines();
    done.complete(ec);
  }

  void fail_pending(std::error_code ec) {
    auto pending = std::move(pending_);
    pending_.clear();
    deadlines_.clear();
    ++deadline_wait_;
    deadline_timer_armed_ = false;
    deadline_timer_.cancel();
    for (auto& [mid, op] : pending) op.done.complete(ec);
  }

  // ---- socket pumping --------------------------------------------------------

  void bind(MosquittoHandle handle) {
    mosq_ = std::move(handle);
    connack_rc_ = -1;
    link_lost_ = false;
    ++link_generation_;
    reading_ = writing_ = false;
    corked_ = turn_writing_ = false;
    socket_.emplace(loop_, mosquitto_socket(mosq_.get()));
    arm_read();
    after_call();
    arm_misc();
  }

  // A burst of packets written in one turn of the loop leaves in one TCP
  // segment. The turn's first packet goes out at once (the broker can work
  // on it while more is prepared); a second one corks the socket
  // (TCP_CORK) until a handler posted at the first uncorks it, once the loop
  // has run what was queued before it, that is before the loop waits for
  // anything. So a visit's UNSUBSCRIBE leaves at once and the next visit's
  // SUBSCRIBE, inform and query leave together: on loopback each segment
  // costs the sender the receiver's TCP path and a wake-up (perf: a fifth of
  // otagwd's CPU in a pass went to sending, docs/benchmarks.md), and the
  // broker a wake-up. Nothing is held past the turn (Nagle and the kernel's
  // 200 ms cork limit never come into play); a lone packet costs nothing.
  void hold_output() {
    if (!socket_) return;
    if (!turn_writing_) {
      turn_writing_ = true;
      asio::post(loop_, [self = shared_from_this(), generation = link_generation_] {
        if (generation != self->link_generation_) return;
        self->turn_writing_ = false;
        self->release_output();
      });
      return;
    }
    if (corked_) return;
    const int on = 1;
    if (::setsockopt(socket_->native_handle(), IPPROTO_TCP, TCP_CORK, &on, sizeof on) == 0) corked_ = true;
  }

  void release_output() {
    if (!corked_) return;
    corked_ = false;
    if (!socket_) return;
    const int off = 0;
    (void)::setsockopt(socket_->native_handle(), IPPROTO_TCP, TCP_CORK, &off, sizeof off);
  }

  // After any libmosquitto call: it may have closed its socket (then we must
  // drop our registration before the number is reused) or left output queued.
  void after_call() {
    if (!socket_) return;
    if (mosquitto_socket(mosq_.get()) != socket_->native_handle()) {
      release_socket();
      on_link_lost(MOSQ_ERR_CONN_LOST);
      return;
    }
    if (mosquitto_want_write(mosq_.get())) arm_write();
  }

  void arm_read() {
    if (!socket_ || reading_) return;
    reading_ = true;
    socket_->async_wait(asio::posix::descriptor_base::wait_read,
                        [self = shared_from_this(), generation = link_generation_](boost::system::error_code ec) {
                          if (generation != self->link_generation_) return;
                          self->reading_ = false;
                          if (ec || !self->socket_) return;
                          const int rc = mosquitto_loop_read(self->mosq_.get(), 1);
                          self->after_call();
                          if (rc != MOSQ_ERR_SUCCESS) return self->on_link_lost(rc);
                          self->arm_read();
                        });
  }

  void arm_write() {
    if (!socket_ || writing_) return;
    writing_ = true;
    socket_->async_wait(asio::posix::descriptor_base::wait_write,
                        [self = shared_from_this(), generation = link_generation_](boost::system::error_code ec) {
                          if (generation != self->link_generation_) return;
                          self->writing_ = false;
                          if (ec || !self->socket_) return;
                          const int rc = mosquitto_loop_write(self->mosq_.get(), 1);
                          self->after_call();
                          if (rc != MOSQ_ERR_SUCCESS) self->on_link_lost(rc);
                        });
  }

  // Keep-alive (PINGREQ, and noticing a missing PINGRESP) lives in loop_misc.
  void arm_misc() {
    misc_timer_.expires_after(std::chrono::seconds(1));
    misc_timer_.async_wait([self = shared_from_this(), generation = link_generation_](boost::system::error_code ec) {
      if (ec || generation != self->link_generation_ || !self->socket_) return;
      const int rc = mosquitto_loop_misc(self->mosq_.get());
      self->after_call();
      if (rc != MOSQ_ERR_SUCCESS) return self->on_link_lost(rc);
      self->arm_misc();
    });
  }

  void release_socket() {
    if (!socket_) return;
    corked_ = turn_writing_ = false;  // (libmosquitto may have closed the descriptor: no setsockopt)
    boost::system::error_code ignored;
    socket_->cancel(ignored);
    (void)socket_->release();  // libmosquitto owns and closes the descriptor
    socket_.reset();
    ++link_generation_;
  }

  void teardown(std::error_code pending_error, bool send_disconnect) {
    release_output();
    if (mosq_ && send_disconnect && socket_ && state_ == MqttState::connected) {
      mosquitto_disconnect(mosq_.get());  // written at once: the socket is idle or nearly so
    }
    release_socket();
    misc_timer_.cancel();
    fail_pending(pending_error);
    mosq_.reset();
    connack_rc_ = -1;
    link_lost_ = false;
  }

  // Suspends until `done()` or `deadline`; wake_.cancel() re-checks.
  template <typename Predicate>
  asio::awaitable<void> wait_until(Clock::time_point deadline, Predicate done) {
    while (!done() && Clock::now() < deadline) {
      wake_.expires_at(deadline);
      boost::system::error_code ignored;
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
  }

  asio::any_io_executor loop_;
  asio::any_io_executor pool_;
  MqttSessionOptions options_;
  std::optional<MqttSessionOptions> next_options_;  // a reload's, taken at the next connection
  StateHandler on_state_;
  MessageHandler on_message_;
  MqttState state_ = MqttState::connecting;
  bool started_ = false;
  bool stopping_ = false;
  std::uint64_t connections_ = 0;
  Backoff backoff_;

  asio::steady_timer wake_;  // wakes run() on CONNACK, link loss, connect result or stop
  asio::steady_timer misc_timer_;
  std::uint64_t attempt_id_ = 0;
  std::optional<std::pair<int, int>> connect_result_;  // mosquitto_connect rc, errno

  MosquittoHandle mosq_;  // the current connection's handle, null between connections
  std::optional<asio::posix::stream_descriptor> socket_;
  std::uint64_t link_generation_ = 0;  // invalidates socket handlers of an old connection
  bool reading_ = false;
  bool writing_ = false;
  bool turn_writing_ = false;  // this turn of the loop wrote a packet (hold_output)
  bool corked_ = false;        // TCP_CORK set until the turn's end
  int connack_rc_ = -1;
  bool link_lost_ = false;
  std::error_code link_error_;

  std::map<int, Operation> pending_;  // by message id
  std::deque<Deadline> deadlines_;    // of pending_ (and of some finished since), oldest first
  asio::steady_timer deadline_timer_;
  bool deadline_timer_armed_ = false;
  std::uint64_t deadline_wait_ = 0;  // the timer's current wait; others are stale
  std::uint64_t operation_serial_ = 0;
  std::map<std::uint64_t, Pending> waiters_;
  std::uint64_t next_waiter_id_ = 0;
};

// ---- MqttSession: forwards to Impl -----------------------------------------

MqttSession::MqttSession(asio::any_io_executor loop, asio::any_io_executor blocking_pool, MqttSessionOptions options)
    : impl_(std::make_shared<Impl>(std::move(loop), std::move(blocking_pool), std::move(options))) {}

MqttSession::~MqttSession() {
  impl_->forget_handlers();
  impl_->stop();
}

void MqttSession::set_state_handler(StateHandler handler) { impl_->set_state_handler(std::move(handler)); }
void MqttSession::set_message_handler(MessageHandler handler) { impl_->set_message_handler(std::move(handler)); }
void MqttSession::start() { impl_->start(); }
void MqttSession::reconfigure(MqttSessionOptions options) { impl_->reconfigure(std::move(options)); }
void MqttSession::stop() { impl_->stop(); }
MqttState MqttSession::state() const noexcept { return impl_->state(); }
std::uint64_t MqttSession::connection_count() const noexcept { return impl_->connection_count(); }
asio::any_io_executor MqttSession::executor() const { return impl_->executor(); }

void MqttSession::start_subscribe(std::vector<std::string> topics, int qos, Completion<void(std::error_code)> done) {
  impl_->subscribe(std::move(topics), qos, std::move(done));
}
void MqttSession::start_unsubscribe(std::vector<std::string> topics, Completion<void(std::error_code)> done) {
  impl_->unsubscribe(std::move(topics), std::move(done));
}
void MqttSession::start_publish(std::string topic, std::string payload, int qos,
                                Completion<void(std::error_code)> done) {
  impl_->publish(topic, payload, qos, std::move(done));
}
std::error_code MqttSession::publish_now(const std::string& topic, std::string_view payload) {
  return impl_->publish_now(topic, payload);
}
void MqttSession::start_wait_connected(std::chrono::milliseconds timeout, Completion<void(std::error_code)> done) {
  impl_->wait_connected(timeout, std::move(done));
}

}  // namespace otagw::transports
