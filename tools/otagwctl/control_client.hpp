#pragma once
// One connection to otagwd's control socket (docs/control.md): connect, send
// a request line, read answer and event lines. Blocking I/O is enough for a
// short-lived command line tool, but every wait has a deadline, so a daemon
// that accepts and never answers cannot hang otagwctl.
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace otagw::ctl {

using Clock = std::chrono::steady_clock;

// Why the daemon could not be reached; `message()` says what to do about it.
struct ConnectError {
  enum class Kind {
    no_socket,          // nothing at the path (ENOENT, ENOTDIR)
    not_listening,      // a socket file nobody listens on (ECONNREFUSED)
    permission_denied,  // EACCES/EPERM on the path or the socket
    timed_out,          // the daemon's backlog stayed full until the deadline
    failed,             // anything else (errno in `error`)
  };
  Kind kind;
  int error;  // errno
  std::filesystem::path socket;

  [[nodiscard]] std::string message() const;
};

class ControlClient {
 public:
  // Connects to the Unix stream socket at `socket`, giving up at `deadline`.
  [[nodiscard]] static tl::expected<ControlClient, ConnectError> connect(const std::filesystem::path& socket,
                                                                          Clock::time_point deadline);

  ControlClient(ControlClient&& other) noexcept;
  ControlClient& operator=(ControlClient&& other) noexcept;
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;
  ~ControlClient();

  // Sends `line` and a newline. False when the daemon closed the connection
  // (a `not_permitted` line may still wait to be read) or the deadline passed.
  [[nodiscard]] bool send_line(std::string_view line, Clock::time_point deadline);

  struct Received {
    enum class Kind {
      line,       // `text` holds one line, without its newline
      woken,      // `wake_fd` became readable first
      timed_out,  // the deadline passed
      closed,     // the daemon closed the connection (or reset it)
      failed,     // a read error (errno in `error`), or a line over the size limit
    };
    Kind kind;
    std::string text;
    int error = 0;
  };

  // The next line from the daemon. Waits until `deadline` (Clock::time_point::max()
  // waits without end); returns `woken` when `wake_fd` (>= 0) is readable first.
  [[nodiscard]] Received read_line(Clock::time_point deadline, int wake_fd = -1);

  [[nodiscard]] const std::filesystem::path& socket() const noexcept { return socket_; }

 private:
  ControlClient(int fd, std::filesystem::path socket) : fd_(fd), socket_(std::move(socket)) {}

  int fd_ = -1;
  std::filesystem::path socket_;
  std::string buffer_;  // read, not yet returned
};

}  // namespace otagw::ctl
