#pragma once
// Blocking MQTT 3.1.1 clients for the sign-in tests: one over libmosquitto, one that writes
// a raw CONNECT (for client ids libmosquitto refuses to send, such as an empty one).
// Every wait has a hard time-out, so a broker that never answers fails the test instead
// of hanging it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

struct mosquitto;
struct mosquitto_message;

namespace otagw::tools_test {

// No CONNACK arrived (connection refused or closed, TLS failure, time-out).
inline constexpr int kNoConnack = -1;

struct ClientOptions {
  std::string client_id;
  std::string username;  // empty: none sent
  std::string password;  // empty: none sent
  std::string ca_file;   // non-empty: TLS, verifying the broker against this CA
};

class SyncClient {
 public:
  explicit SyncClient(const ClientOptions& options);
  ~SyncClient();
  SyncClient(const SyncClient&) = delete;
  SyncClient& operator=(const SyncClient&) = delete;

  // Connects to 127.0.0.1:port and waits (5 s) for the CONNACK. Returns its return code
  // (0 accepted, 5 not authorised, ...) or kNoConnack.
  int connect(std::uint16_t port);
  // Subscribes and waits for the SUBACK; true if granted (not 0x80).
  bool subscribe(const std::string& topic, int qos);
  // Publishes at QoS 1 and waits for the PUBACK.
  bool publish(const std::string& topic, const std::string& payload);
  // The payload of the first message on `topic` not yet taken (it may have arrived during
  // an earlier wait, e.g. before the PUBACK of our own publish), or nothing after 5 s.
  std::optional<std::string> wait_message(const std::string& topic);
  // Runs the network loop for `duration` and returns how many messages on `topic` are
  // waiting then (taking them): for checks that something arrives once, or never.
  std::size_t count_messages(const std::string& topic, std::chrono::milliseconds duration);

 private:
  static void on_connect(mosquitto*, void* self, int rc);
  static void on_subscribe(mosquitto*, void* self, int mid, int count, const int* granted);
  static void on_publish(mosquitto*, void* self, int mid);
  static void on_message(mosquitto*, void* self, const mosquitto_message* message);
  // Runs the network loop until done() or 5 s or a lost connection; returns done().
  template <typename Done>
  bool loop_until(Done done);

  mosquitto* mosq_ = nullptr;
  int connack_ = kNoConnack;
  int acked_mid_ = -1;   // last SUBACK / PUBACK message id
  int granted_qos_ = -1;
  std::deque<std::pair<std::string, std::string>> messages_;  // {topic, payload}
};

// Sends one hand-built CONNECT (clean session, keep-alive 60) and returns the CONNACK
// return code, or kNoConnack if the broker closed the connection or stayed silent (5 s).
int raw_connect(std::uint16_t port, const std::string& client_id, const std::optional<std::string>& username,
                const std::optional<std::string>& password);

}  // namespace otagw::tools_test
