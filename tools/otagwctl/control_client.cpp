#include "tools/otagwctl/control_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <thread>
#include <utility>

namespace otagw::ctl {
namespace {

// A status object of a few thousand sub-devices is a few MB; anything far
// beyond that is not otagwd talking.
constexpr std::size_t kMaxLineBytes = 64 * 1024 * 1024;

const char* const kServiceHint = "Is otagwd running? Try: systemctl status otagwd";

// Milliseconds for poll() until `deadline`: -1 waits without end, 0 when it
// has passed.
int poll_timeout(Clock::time_point deadline) {
  if (deadline == Clock::time_point::max()) return -1;
  const auto left = deadline - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

ConnectError::Kind classify(int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR: return ConnectError::Kind::no_socket;
    case ECONNREFUSED: return ConnectError::Kind::not_listening;
    case EACCES:
    case EPERM: return ConnectError::Kind::permission_denied;
    default: return ConnectError::Kind::failed;
  }
}

}  // namespace

std::string ConnectError::message() const {
  const std::string path = "'" + socket.string() + "'";
  switch (kind) {
    case Kind::no_socket:
      return "cannot reach otagwd: no control socket at " + path + ". " + kServiceHint +
             " (if it listens elsewhere, name its socket with --socket PATH or its config with --config FILE)";
    case Kind::not_listening:
      return "cannot reach otagwd: nothing listens on " + path + " (stopped, or still starting). " + kServiceHint;
    case Kind::permission_denied:
      return "permission denied on " + path +
             ": otagwctl must run as root or as a member of group otagwctl "
             "(sudo usermod -aG otagwctl $USER, then log in again)";
    case Kind::timed_out:
      return "cannot reach otagwd: " + path + " did not accept the connection in time. " + kServiceHint;
    case Kind::failed: break;
  }
  return "cannot connect to " + path + ": " + std::strerror(error) + ". " + kServiceHint;
}

tl::expected<ControlClient, ConnectError> ControlClient::connect(const std::filesystem::path& socket,
                                                                 Clock::time_point deadline) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string& native = socket.native();
  if (native.empty() || native.size() >= sizeof(address.sun_path)) {
    return tl::unexpected(ConnectError{ConnectError::Kind::failed, ENAMETOOLONG, socket});
  }
  std::memcpy(address.sun_path, native.data(), native.size());

  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return tl::unexpected(ConnectError{ConnectError::Kind::failed, errno, socket});
  ControlClient client(fd, socket);
  for (;;) {
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) return client;
    const int error = errno;
    if (error == EINTR) continue;
    // A non-blocking connect to a Unix socket whose listen backlog is full
    // fails with EAGAIN (it would block otherwise): the daemon is busy
    // accepting; try again until the deadline.
    if (error == EAGAIN) {
      if (poll_timeout(deadline) == 0) {
        return tl::unexpected(ConnectError{ConnectError::Kind::timed_out, error, socket});
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    if (error == EINPROGRESS) {
      pollfd waiting{fd, POLLOUT, 0};
      const int ready = ::poll(&waiting, 1, poll_timeout(deadline));
      if (ready == 0) return tl::unexpected(ConnectError{ConnectError::Kind::timed_out, ETIMEDOUT, socket});
      int result = 0;
      socklen_t length = sizeof(result);
      if (ready < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &result, &length) != 0) result = errno;
      if (result == 0) return client;
      return tl::unexpected(ConnectError{classify(result), result, socket});
    }
    return tl::unexpected(ConnectError{classify(error), error, socket});
  }
}

ControlClient::ControlClient(ControlClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), socket_(std::move(other.socket_)), buffer_(std::move(other.buffer_)) {}

ControlClient& ControlClient::operator=(ControlClient&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    socket_ = std::move(other.socket_);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

ControlClient::~ControlClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool ControlClient::send_line(std::string_view line, Clock::time_point deadline) {
  std::string data(line);
  data += '\n';
  std::size_t sent = 0;
  while (sent < data.size()) {
    // MSG_NOSIGNAL: a daemon that closed the connection is an answer, not SIGPIPE.
    const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return false;
    pollfd waiting{fd_, POLLOUT, 0};
    const int ready = ::poll(&waiting, 1, poll_timeout(deadline));
    if (ready == 0) return false;
    if (ready < 0 && errno != EINTR) return false;
  }
  return true;
}

ControlClient::Received ControlClient::read_line(Clock::time_point deadline, int wake_fd) {
  using Kind = Received::Kind;
  for (;;) {
    if (const auto end = buffer_.find('\n'); end != std::string::npos) {
      Received line{Kind::line, buffer_.substr(0, end)};
      buffer_.erase(0, end + 1);
      return line;
    }
    if (buffer_.size() > kMaxLineBytes) return {Kind::failed, {}, EMSGSIZE};

    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd, POLLIN, 0}};
    const int ready = ::poll(fds, wake_fd >= 0 ? 2 : 1, poll_timeout(deadline));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return {Kind::failed, {}, errno};
    }
    if (ready == 0) return {Kind::timed_out, {}};
    if (wake_fd >= 0 && (fds[1].revents & POLLIN) != 0) return {Kind::woken, {}};
    if (fds[0].revents == 0) continue;

    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) return {Kind::closed, {}};
    if (errno == EINTR || errno == EAGAIN) continue;
    if (errno == ECONNRESET) return {Kind::closed, {}};
    return {Kind::failed, {}, errno};
  }
}

}  // namespace otagw::ctl
