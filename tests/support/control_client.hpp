#pragma once
// A blocking client of otagwd's control socket for tests (docs/control.md):
// one connection, request lines out, answer and event lines in, every read
// with a time-out.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace otagw::test_support {

class ControlClient {
 public:
  // Connects; throws std::runtime_error when it cannot.
  explicit ControlClient(const std::filesystem::path& socket);
  ~ControlClient();
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  // Tries to connect until `within` has passed (the daemon is starting).
  // Null when nothing answered in time.
  static std::unique_ptr<ControlClient> wait_for(const std::filesystem::path& socket, std::chrono::milliseconds within);

  // Writes `line` and a newline. False when the daemon closed the connection.
  bool send(const std::string& line);
  // The next line (without its newline), or nullopt at end of stream or time-out.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True when the daemon closed the connection within `timeout` (lines before are skipped).
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  [[nodiscard]] int fd() const noexcept { return fd_; }

 private:
  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

}  // namespace otagw::test_support
