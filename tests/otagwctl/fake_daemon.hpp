#pragma once
// A stand-in for otagwd's control socket, driven step by step from the test's
// own thread (otagwctl runs as a child process): accept a connection, read
// its request line, answer, send events, close. It speaks whatever the test
// scripts, so it also plays a daemon that never answers or hangs up.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace otagw::ctl_test {

class FakeDaemon {
 public:
  // Listens on `socket` (removed first if it exists).
  explicit FakeDaemon(std::filesystem::path socket);
  ~FakeDaemon();
  FakeDaemon(const FakeDaemon&) = delete;
  FakeDaemon& operator=(const FakeDaemon&) = delete;

  // Accepts the next connection and reads its first line (the request),
  // within `timeout`; nullopt when none came. Closes a previous connection.
  std::optional<std::string> accept_request(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Accepts the next connection without reading from it.
  bool accept(std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // Writes `line` and a newline to the accepted connection; false when the
  // client is gone.
  bool send(const std::string& line);
  // Closes the accepted connection.
  void close_connection();
  // True once the client closed the accepted connection, within `timeout`.
  bool wait_client_closed(std::chrono::milliseconds timeout);

  [[nodiscard]] const std::filesystem::path& socket() const noexcept { return socket_; }

 private:
  std::filesystem::path socket_;
  int listener_ = -1;
  int connection_ = -1;
};

}  // namespace otagw::ctl_test
