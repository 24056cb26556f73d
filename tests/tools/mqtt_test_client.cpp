#include "mqtt_test_client.hpp"

#include <arpa/inet.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <vector>

namespace otagw::tools_test {
namespace {

constexpr auto kTimeout = std::chrono::seconds(5);

// libmosquitto needs one process-wide init; a static object does it before main.
struct LibMosquitto {
  LibMosquitto() { mosquitto_lib_init(); }
  ~LibMosquitto() { mosquitto_lib_cleanup(); }
};
const LibMosquitto lib_mosquitto;

}  // namespace

SyncClient::SyncClient(const ClientOptions& options) {
  mosq_ = mosquitto_new(options.client_id.c_str(), true, this);
  if (mosq_ == nullptr) {
    throw std::runtime_error("mosquitto_new failed for a client id of length " + std::to_string(options.client_id.size()));
  }
  mosquitto_connect_callback_set(mosq_, &SyncClient::on_connect);
  mosquitto_subscribe_callback_set(mosq_, &SyncClient::on_subscribe);
  mosquitto_publish_callback_set(mosq_, &SyncClient::on_publish);
  mosquitto_message_callback_set(mosq_, &SyncClient::on_message);
  const char* failed = nullptr;
  if (!options.username.empty() &&
      mosquitto_username_pw_set(mosq_, options.username.c_str(),
                                options.password.empty() ? nullptr : options.password.c_str()) != MOSQ_ERR_SUCCESS) {
    failed = "mosquitto_username_pw_set failed";
  } else if (!options.ca_file.empty() &&
             mosquitto_tls_set(mosq_, options.ca_file.c_str(), nullptr, nullptr, nullptr, nullptr) != MOSQ_ERR_SUCCESS) {
    failed = "mosquitto_tls_set failed";
  }
  if (failed != nullptr) {
    mosquitto_destroy(mosq_);  // the destructor does not run for a throwing constructor
    throw std::runtime_error(failed);
  }
}

SyncClient::~SyncClient() {
  if (connack_ == 0) {
    mosquitto_disconnect(mosq_);
    mosquitto_loop(mosq_, 0, 1);  // flush the DISCONNECT
  }
  mosquitto_destroy(mosq_);
}

int SyncClient::connect(std::uint16_t port) {
  // Blocking TCP connect (and TLS handshake): loopback answers at once or refuses.
  if (mosquitto_connect(mosq_, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS) return kNoConnack;
  loop_until([this] { return connack_ != kNoConnack; });
  return connack_;
}

bool SyncClient::subscribe(const std::string& topic, int qos) {
  int mid = 0;
  if (mosquitto_subscribe(mosq_, &mid, topic.c_str(), qos) != MOSQ_ERR_SUCCESS) return false;
  return loop_until([&] { return acked_mid_ == mid; }) && granted_qos_ >= 0 && granted_qos_ <= 2;
}

bool SyncClient::publish(const std::string& topic, const std::string& payload) {
  int mid = 0;
  if (mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()), payload.data(), 1, false) !=
      MOSQ_ERR_SUCCESS) {
    return false;
  }
  return loop_until([&] { return acked_mid_ == mid; });
}

std::optional<std::string> SyncClient::wait_message(const std::string& topic) {
  auto find = [&] {
    return std::find_if(messages_.begin(), messages_.end(), [&](const auto& m) { return m.first == topic; });
  };
  if (!loop_until([&] { return find() != messages_.end(); })) return std::nullopt;
  const auto it = find();
  std::string payload = std::move(it->second);
  messages_.erase(it);
  return payload;
}

std::size_t SyncClient::count_messages(const std::string& topic, std::chrono::milliseconds duration) {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < deadline) {
    if (mosquitto_loop(mosq_, 50, 1) != MOSQ_ERR_SUCCESS) break;
  }
  const auto before = messages_.size();
  std::erase_if(messages_, [&](const auto& m) { return m.first == topic; });
  return before - messages_.size();
}

template <typename Done>
bool SyncClient::loop_until(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    // A refused CONNACK or a closed connection ends the loop with an error.
    if (mosquitto_loop(mosq_, 50, 1) != MOSQ_ERR_SUCCESS) break;
  }
  return done();
}

void SyncClient::on_connect(mosquitto*, void* self, int rc) { static_cast<SyncClient*>(self)->connack_ = rc; }

void SyncClient::on_subscribe(mosquitto*, void* self, int mid, int count, const int* granted) {
  auto* c = static_cast<SyncClient*>(self);
  c->granted_qos_ = count > 0 ? granted[0] : -1;
  c->acked_mid_ = mid;
}

void SyncClient::on_publish(mosquitto*, void* self, int mid) { static_cast<SyncClient*>(self)->acked_mid_ = mid; }

void SyncClient::on_message(mosquitto*, void* self, const mosquitto_message* message) {
  std::string payload;
  if (message->payloadlen > 0) {
    payload.assign(static_cast<const char*>(message->payload), static_cast<std::size_t>(message->payloadlen));
  }
  static_cast<SyncClient*>(self)->messages_.emplace_back(message->topic, std::move(payload));
}

namespace {

void put_u16(std::vector<unsigned char>& out, std::size_t n) {
  out.push_back(static_cast<unsigned char>(n >> 8));
  out.push_back(static_cast<unsigned char>(n & 0xff));
}

void put_string(std::vector<unsigned char>& out, const std::string& s) {
  put_u16(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

std::vector<unsigned char> connect_packet(const std::string& client_id, const std::optional<std::string>& username,
                                          const std::optional<std::string>& password) {
  std::vector<unsigned char> body;
  put_string(body, "MQTT");
  body.push_back(4);  // protocol level: 3.1.1
  body.push_back(static_cast<unsigned char>(0x02 | (username ? 0x80 : 0) | (password ? 0x40 : 0)));
  put_u16(body, 60);  // keep-alive
  put_string(body, client_id);
  if (username) put_string(body, *username);
  if (password) put_string(body, *password);

  std::vector<unsigned char> packet{0x10};
  std::size_t remaining = body.size();
  do {  // the variable-length "remaining length" of MQTT
    unsigned char byte = remaining % 128;
    remaining /= 128;
    if (remaining > 0) byte |= 0x80;
    packet.push_back(byte);
  } while (remaining > 0);
  packet.insert(packet.end(), body.begin(), body.end());
  return packet;
}

}  // namespace

int raw_connect(std::uint16_t port, const std::string& client_id, const std::optional<std::string>& username,
                const std::optional<std::string>& password) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return kNoConnack;
  timeval tv{static_cast<time_t>(kTimeout.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  int result = kNoConnack;
  const auto packet = connect_packet(client_id, username, password);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::send(fd, packet.data(), packet.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(packet.size())) {
    unsigned char connack[4];
    std::size_t got = 0;
    while (got < sizeof(connack)) {
      const ssize_t n = ::recv(fd, connack + got, sizeof(connack) - got, 0);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got == sizeof(connack) && connack[0] == 0x20 && connack[1] == 0x02) result = connack[3];
  }
  ::close(fd);
  return result;
}

}  // namespace otagw::tools_test
