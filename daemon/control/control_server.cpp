#include "daemon/control/control_server.hpp"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <deque>
#include <vector>

#include <spdlog/spdlog.h>

#include "daemon/control/status_json.hpp"

namespace otagw::daemon {
namespace {

using stream = asio::local::stream_protocol;

nlohmann::json id_json(const ControlRequestId& id) {
  if (const auto* text = std::get_if<std::string>(&id)) return *text;
  if (const auto* number = std::get_if<std::int64_t>(&id)) return *number;
  return nullptr;
}

std::string error_line(const ControlError& error) {
  nlohmann::json out = {{"v", kControlProtocolVersion}, {"ok", false}};
  if (!std::holds_alternative<std::monostate>(error.id)) out["id"] = id_json(error.id);
  if (error.command) out["cmd"] = std::string(to_string(*error.command));
  out["error"] = {{"code", error.code}, {"message", error.message}};
  return json_line(out);
}

// The group's id, or nullopt when it does not exist. Start-up only (NSS may block).
std::optional<gid_t> group_id(const std::string& name) {
  if (name.empty()) return std::nullopt;
  std::vector<char> buffer(16384);
  group entry{};
  group* found = nullptr;
  if (::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return found->gr_gid;
}

}  // namespace

struct ControlServer::Client : std::enable_shared_from_this<Client> {
  explicit Client(stream::socket s) : socket(std::move(s)), idle(socket.get_executor()) {}

  // Queues `line`; past kMaxQueuedBytes the client is dropped instead.
  void send(std::string line) {
    if (closed) return;
    if (queued_bytes + line.size() > kMaxQueuedBytes) {
      spdlog::warn("control: client {} does not read its answers ({} bytes waiting): dropped", who, queued_bytes);
      close();
      return;
    }
    queued_bytes += line.size();
    out.push_back(std::move(line));
    if (!writing) write_next();
  }

  void write_next() {
    if (closed || out.empty()) {
      if (!closed && close_when_sent) close();
      return;
    }
    writing = true;
    asio::async_write(socket, asio::buffer(out.front()),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        self->writing = false;
                        if (ec || self->closed) {
                          self->close();
                          return;
                        }
                        self->queued_bytes -= self->out.front().size();
                        self->out.pop_front();
                        self->write_next();
                      });
  }

  void close() {
    if (closed) return;
    closed = true;
    boost::system::error_code ignored;
    idle.cancel();
    socket.shutdown(stream::socket::shutdown_both, ignored);
    socket.close(ignored);
    // `out` stays as it is: a write in flight still points into its front.
  }

  stream::socket socket;
  asio::steady_timer idle;
  std::deque<std::string> out;
  std::size_t queued_bytes = 0;
  bool writing = false;
  bool close_when_sent = false;
  bool watching = false;
  bool closed = false;
  std::string who = "?";  // "uid 1000 pid 4711", for logs
};

ControlServer::ControlServer(asio::any_io_executor loop, Options options, Dispatch dispatch,
                             transports::TaskFailureHandler on_failure)
    : loop_(std::move(loop)),
      options_(std::move(options)),
      dispatch_(std::move(dispatch)),
      on_failure_(std::move(on_failure)) {}

ControlServer::~ControlServer() { stop(); }

std::error_code ControlServer::start(std::string& detail) {
  const auto& path = options_.socket;
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      detail = path.string() + " exists and is not a socket";
      return std::make_error_code(std::errc::file_exists);
    }
    // A socket someone answers on belongs to a running daemon; one nobody
    // answers on was left by a daemon that was killed.
    stream::socket probe(loop_);
    boost::system::error_code connect_ec;
    probe.connect(stream::endpoint(path.string()), connect_ec);
    if (!connect_ec) {
      detail = "another process listens on " + path.string();
      return std::make_error_code(std::errc::address_in_use);
    }
    ::unlink(path.c_str());
  }
  auto acceptor = std::make_unique<stream::acceptor>(loop_);
  boost::system::error_code bind_ec;
  acceptor->open(stream(), bind_ec);
  if (!bind_ec) acceptor->bind(stream::endpoint(path.string()), bind_ec);
  if (!bind_ec) acceptor->listen(asio::socket_base::max_listen_connections, bind_ec);
  if (bind_ec) {
    detail = "cannot listen on " + path.string() + ": " + bind_ec.message();
    return std::error_code(bind_ec.value(), std::system_category());
  }
  // Group first, mode second: never a moment in which the wrong group may connect.
  if (const auto gid = group_id(options_.group)) {
    if (::chown(path.c_str(), static_cast<uid_t>(-1), *gid) == 0) {
      group_id_ = *gid;
    } else {
      spdlog::warn("control: cannot give {} to group {}: {} (only root and the service user may use it)",
                   path.string(), options_.group, std::strerror(errno));
    }
  } else if (!options_.group.empty()) {
    spdlog::info("control: group '{}' does not exist: only root and the service user may use {}", options_.group,
                 path.string());
  }
  ::chmod(path.c_str(), 0660);
  acceptor_ = std::move(acceptor);
  listening_ = true;
  transports::spawn_supervised(loop_, "control socket", accept_loop(), on_failure_);
  spdlog::info("control socket {} (group {}, at most {} clients)", path.string(),
               group_id_ == static_cast<gid_t>(-1) ? "of otagwd" : options_.group, options_.max_clients);
  return {};
}

void ControlServer::stop() {
  if (!listening_) return;
  listening_ = false;
  boost::system::error_code ignored;
  acceptor_->close(ignored);
  for (const auto& client : clients_) client->close();
  clients_.clear();
  ::unlink(options_.socket.c_str());
}

std::size_t ControlServer::clients() const noexcept { return clients_.size(); }

bool ControlServer::has_watchers() const noexcept {
  for (const auto& client : clients_) {
    if (client->watching && !client->closed) return true;
  }
  return false;
}

void ControlServer::broadcast(const std::string& line) {
  // Copied: a client dropped for a full queue leaves the set meanwhile.
  const std::vector<std::shared_ptr<Client>> watchers(clients_.begin(), clients_.end());
  for (const auto& client : watchers) {
    if (client->watching) client->send(line);
  }
}

bool ControlServer::permitted(int fd, std::string& who) const {
  ucred peer{};
  socklen_t size = sizeof peer;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0) {
    who = "unknown peer";
    return false;
  }
  who = "uid " + std::to_string(peer.uid) + " pid " + std::to_string(peer.pid);
  if (peer.uid == 0 || peer.uid == ::geteuid()) return true;
  if (group_id_ == static_cast<gid_t>(-1)) return false;
  if (peer.gid == group_id_) return true;
  // The peer's supplementary groups (Linux 4.13+).
  std::array<gid_t, 256> groups{};
  socklen_t groups_size = sizeof groups;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &groups_size) != 0) return false;
  const std::size_t count = groups_size / sizeof(gid_t);
  for (std::size_t i = 0; i < count; ++i) {
    if (groups[i] == group_id_) return true;
  }
  return false;
}

void ControlServer::refuse(std::shared_ptr<Client> client, std::string code, std::string message) {
  client->close_when_sent = true;
  client->send(error_line(ControlError{std::move(code), std::move(message), {}, std::nullopt}));
}

asio::awaitable<void> ControlServer::accept_loop() {
  while (listening_) {
    boost::system::error_code ec;
    stream::socket socket = co_await acceptor_->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (!listening_) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // EMFILE and the like: say so, and do not spin on it.
      spdlog::warn("control: accept failed: {}", ec.message());
      asio::steady_timer pause(loop_, std::chrono::milliseconds(200));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    auto client = std::make_shared<Client>(std::move(socket));
    if (!permitted(client->socket.native_handle(), client->who)) {
      spdlog::warn("control: {} may not use the control socket (root, the service user or group '{}' only)",
                   client->who, options_.group);
      refuse(client, "not_permitted", "root, the service user or a member of group " + options_.group + " only");
      continue;
    }
    if (clients_.size() >= static_cast<std::size_t>(options_.max_clients)) {
      spdlog::warn("control: {} refused: {} clients connected (control.max_clients)", client->who, clients_.size());
      refuse(client, "too_many_clients", std::to_string(clients_.size()) + " clients are connected, the limit");
      continue;
    }
    clients_.insert(client);
    transports::spawn_supervised(loop_, "control client", serve(client), on_failure_);
  }
}

asio::awaitable<void> ControlServer::serve(std::shared_ptr<Client> client) {
  std::string buffer;
  std::array<char, 4096> chunk{};
  auto arm_idle = [this, &client] {
    if (client->watching) {
      client->idle.cancel();
      return;
    }
    client->idle.expires_after(options_.idle_timeout);
    client->idle.async_wait([weak = std::weak_ptr<Client>(client)](boost::system::error_code ec) {
      auto self = weak.lock();
      if (!ec && self && !self->watching) self->close();
    });
  };
  arm_idle();
  while (!client->closed) {
    boost::system::error_code ec;
    const std::size_t n =
        co_await client->socket.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    buffer.append(chunk.data(), n);
    std::size_t newline;
    while (!client->closed && (newline = buffer.find('\n')) != std::string::npos) {
      std::string line = buffer.substr(0, newline);
      buffer.erase(0, newline + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      client->idle.cancel();  // a request under way is no idleness (a reload may take a while)
      auto request = parse_control_request(line);
      if (!request) {
        client->send(error_line(request.error()));
        if (request.error().code == "line_too_long") client->close_when_sent = true;
      } else {
        const ControlRequestId id = request->id;
        ControlAnswer answer = co_await dispatch_(std::move(*request));
        nlohmann::json out = {{"v", kControlProtocolVersion}};
        if (!std::holds_alternative<std::monostate>(id)) out["id"] = id_json(id);
        out.update(answer.body);
        client->send(json_line(out));
        if (answer.watch) client->watching = true;
      }
      arm_idle();
    }
    if (buffer.size() > kMaxControlLine) {
      client->close_when_sent = true;
      client->send(error_line(ControlError{"line_too_long",
                                           "a request is at most " + std::to_string(kMaxControlLine) + " bytes",
                                           {},
                                           std::nullopt}));
      break;
    }
  }
  // Answers still queued go out first (a client may send its request and
  // shut its side at once); then the connection ends.
  client->close_when_sent = true;
  if (!client->writing) client->write_next();
  client->idle.cancel();
  clients_.erase(client);
}

}  // namespace otagw::daemon
