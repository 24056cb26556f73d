#pragma once
// The control socket (docs/control.md): a Unix stream socket on the loop,
// JSON lines in and out. The server owns the connections, checks each
// peer's credentials, bounds what it reads and what waits to be written,
// and hands each parsed request to the daemon's dispatcher; answers go back
// in order. Event lines go to the connections that asked for `watch`.
//
// A client never blocks the loop: reads and writes are asynchronous, a
// request line is at most kMaxControlLine bytes, at most kMaxQueuedBytes
// wait to be written to one client (past that it is dropped), a connection
// idle for kIdleTimeout without watching is closed, and at most max_clients
// are served at once.
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <system_error>

#include <nlohmann/json.hpp>

#include "daemon/control/control_request.hpp"
#include "transports/asio.hpp"
#include "transports/supervised_task.hpp"

namespace otagw::daemon {

// The dispatcher's answer to a parsed request: the body without `v` and
// `id` (the server adds them). `watch`: the connection receives events from
// now on.
struct ControlAnswer {
  nlohmann::json body;
  bool watch = false;
};

class ControlServer {
 public:
  static constexpr std::size_t kMaxQueuedBytes = 256 * 1024;
  static constexpr std::chrono::seconds kIdleTimeout{60};

  struct Options {
    std::filesystem::path socket;
    std::string group;  // the socket's group; "" or unknown: the daemon's own
    int max_clients = 32;
    std::chrono::milliseconds idle_timeout = kIdleTimeout;
  };
  using Dispatch = std::function<asio::awaitable<ControlAnswer>(ControlRequest)>;

  ControlServer(asio::any_io_executor loop, Options options, Dispatch dispatch, transports::TaskFailureHandler on_failure);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Makes the socket (a stale one from a killed daemon is replaced; a live
  // one is not) and starts accepting. The error says what failed, with the path.
  [[nodiscard]] std::error_code start(std::string& detail);
  // Closes every connection and removes the socket. Idempotent.
  void stop();

  // An event line (with its newline) for every watching connection.
  void broadcast(const std::string& line);

  [[nodiscard]] std::size_t clients() const noexcept;
  // Someone watches: only then is an event worth turning into a line (the
  // sweep changes rows thousands of times a second on a large gateway).
  [[nodiscard]] bool has_watchers() const noexcept;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return options_.socket; }

 private:
  struct Client;

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(std::shared_ptr<Client> client);
  void refuse(std::shared_ptr<Client> client, std::string code, std::string message);
  [[nodiscard]] bool permitted(int fd, std::string& who) const;

  asio::any_io_executor loop_;
  Options options_;
  Dispatch dispatch_;
  transports::TaskFailureHandler on_failure_;
  std::unique_ptr<asio::local::stream_protocol::acceptor> acceptor_;
  std::set<std::shared_ptr<Client>> clients_;
  gid_t group_id_ = static_cast<gid_t>(-1);  // -1: no group of our own
  bool listening_ = false;
};

}  // namespace otagw::daemon
