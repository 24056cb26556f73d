#include "tests/otagwctl/fake_daemon.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace otagw::ctl_test {
namespace {

int millis_left(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

}  // namespace

FakeDaemon::FakeDaemon(std::filesystem::path socket) : socket_(std::move(socket)) {
  std::error_code ignored;
  std::filesystem::remove(socket_, ignored);
  listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = socket_.string();
  if (listener_ < 0 || path.size() >= sizeof(address.sun_path)) throw std::runtime_error("fake daemon: socket");
  std::memcpy(address.sun_path, path.data(), path.size());
  if (::bind(listener_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener_, 16) != 0) {
    throw std::runtime_error("fake daemon: cannot listen on " + path + ": " + std::strerror(errno));
  }
}

FakeDaemon::~FakeDaemon() {
  close_connection();
  if (listener_ >= 0) ::close(listener_);
  std::error_code ignored;
  std::filesystem::remove(socket_, ignored);
}

bool FakeDaemon::accept(std::chrono::milliseconds timeout) {
  close_connection();
  pollfd waiting{listener_, POLLIN, 0};
  if (::poll(&waiting, 1, static_cast<int>(timeout.count())) <= 0) return false;
  connection_ = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
  return connection_ >= 0;
}

std::optional<std::string> FakeDaemon::accept_request(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!accept(timeout)) return std::nullopt;
  std::string line;
  for (;;) {
    pollfd waiting{connection_, POLLIN, 0};
    if (::poll(&waiting, 1, millis_left(deadline)) <= 0) return std::nullopt;
    char c = 0;
    if (::recv(connection_, &c, 1, 0) != 1) return std::nullopt;
    if (c == '\n') return line;
    line += c;
  }
}

bool FakeDaemon::send(const std::string& line) {
  const std::string data = line + "\n";
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(connection_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

void FakeDaemon::close_connection() {
  if (connection_ >= 0) ::close(connection_);
  connection_ = -1;
}

bool FakeDaemon::wait_client_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    pollfd waiting{connection_, POLLIN, 0};
    if (::poll(&waiting, 1, millis_left(deadline)) <= 0) return false;
    char chunk[4096];
    const ssize_t n = ::recv(connection_, chunk, sizeof(chunk), 0);
    if (n <= 0) return true;
  }
}

}  // namespace otagw::ctl_test
