// One connection of the firmware server: read a request, carry out its
// ResponsePlan (headers through Beast, the body straight from the file in
// large chunks, with drops, stalls and rate limits), repeat while kept alive.
// The same coroutine serves plain TCP and TLS through the Stream parameter.
#include <fcntl.h>
#include <unistd.h>

#include <utility>  // before Asio (asio issue 944)

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tools/cloudsim/firmware_server/server_state.hpp"

namespace otagw::cloudsim::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// Big enough that a 256 MB image needs few syscalls, small next to RAM.
constexpr std::size_t kChunkBytes = 256 * 1024;

template <typename Stream>
class Connection final : public ConnectionControl {
 public:
  template <typename... Args>
  explicit Connection(asio::ip::tcp::socket socket, Args&... tls_context)
      : stream(std::move(socket), tls_context...), timer(stream.get_executor()) {}

  void close() override {
    error_code ignored;
    beast::get_lowest_layer(stream).socket().close(ignored);
    timer.cancel();
  }

  Stream stream;
  asio::steady_timer timer;  // stalls and rate limiting
};

// A read-only descriptor, closed on scope exit.
class InputFile {
 public:
  explicit InputFile(const std::filesystem::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~InputFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

template <typename Stream>
asio::awaitable<bool> pause(std::shared_ptr<Connection<Stream>> connection, Clock::time_point until) {
  error_code ec;
  connection->timer.expires_at(until);
  co_await connection->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;  // aborted: stop() closed the connection
}

// Sends the plan's file bytes; false when the connection must end (a drop, an
// error, stop()).
template <typename Stream>
asio::awaitable<bool> send_file(std::shared_ptr<Connection<Stream>> connection, ResponsePlan plan,
                                std::filesystem::path path) {
  InputFile file(path);
  if (file.get() < 0) {
    spdlog::warn("firmware server: cannot open {}", path.string());
    co_return false;
  }
  std::size_t chunk = kChunkBytes;
  if (plan.rate_bytes_per_s != 0) {
    // About 20 pauses a second keeps a low rate smooth.
    chunk = static_cast<std::size_t>(std::clamp<std::uint64_t>(plan.rate_bytes_per_s / 20, 1, kChunkBytes));
  }
  std::vector<char> buffer(chunk);
  const auto started = Clock::now();
  bool stalled = false;
  std::uint64_t sent = 0;
  while (sent < plan.file_bytes) {
    std::uint64_t want = std::min<std::uint64_t>(chunk, plan.file_bytes - sent);
    if (plan.drop_after) want = std::min(want, *plan.drop_after - sent);
    if (plan.stall_after && !stalled) want = std::min(want, *plan.stall_after - sent);
    if (want > 0) {
      const ssize_t got = ::pread(file.get(), buffer.data(), static_cast<std::size_t>(want),
                                  static_cast<off_t>(plan.file_offset + sent));
      if (got <= 0) {
        spdlog::warn("firmware server: cannot read {} (did it shrink?)", path.string());
        co_return false;
      }
      error_code ec;
      const auto data = asio::buffer(buffer.data(), static_cast<std::size_t>(got));
      co_await asio::async_write(connection->stream, data, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return false;
      sent += static_cast<std::uint64_t>(got);
    }
    if (plan.drop_after && sent >= *plan.drop_after) {
      spdlog::debug("firmware server: dropping the connection after {} body bytes", sent);
      connection->close();
      co_return false;
    }
    if (plan.stall_after && !stalled && sent >= *plan.stall_after) {
      stalled = true;
      spdlog::debug("firmware server: stalling for {} ms after {} body bytes", plan.stall_for.count(), sent);
      const bool resumed = co_await pause(connection, Clock::now() + plan.stall_for);
      if (!resumed) co_return false;
    }
    if (plan.rate_bytes_per_s != 0) {
      const auto due = started + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(static_cast<double>(sent) /
                                                                   static_cast<double>(plan.rate_bytes_per_s)));
      if (due > Clock::now()) {
        const bool resumed = co_await pause(connection, due);
        if (!resumed) co_return false;
      }
    }
  }
  co_return true;
}

// Answers one request; false when the connection must end.
template <typename Stream>
asio::awaitable<bool> respond(std::shared_ptr<ServerState> state, std::shared_ptr<Connection<Stream>> connection,
                              http::request<http::empty_body> request) {
  const auto target = request.target();
  const auto range = request[http::field::range];
  const bool head = request.method() == http::verb::head;
  ServedFiles::Answer answer;
  if (request.method() == http::verb::get || head) {
    answer = state->files.answer(std::string_view(target.data(), target.size()),
                                 std::string_view(range.data(), range.size()));
  } else {
    answer.plan = error_plan(405);
  }
  const ResponsePlan& plan = answer.plan;
  if (plan.no_answer) {
    spdlog::debug("firmware server: {} {} range '{}' -> closed unanswered", std::string(request.method_string()),
                  std::string(target), std::string(range));
    co_return false;
  }
  spdlog::debug("firmware server: {} {} range '{}' -> {}", std::string(request.method_string()), std::string(target),
                std::string(range), plan.status);

  http::response<http::empty_body> response;
  response.version(request.version());
  response.result(plan.status);
  response.set(http::field::server, "otagw-cloudsim");
  response.set(http::field::content_type, plan.content_type);
  response.set(http::field::accept_ranges, "bytes");
  // Set by hand, never through prepare_payload: the plan may declare a
  // length that lies, or none at all.
  if (plan.content_length) response.set(http::field::content_length, std::to_string(*plan.content_length));
  if (!plan.content_range.empty()) response.set(http::field::content_range, plan.content_range);
  if (!plan.location.empty()) response.set(http::field::location, plan.location);
  if (plan.status == 405) response.set(http::field::allow, "GET, HEAD");
  const bool keep_alive = request.keep_alive() && !plan.close_after && !plan.drop_after;
  response.keep_alive(keep_alive);

  error_code ec;
  http::response_serializer<http::empty_body> serializer(response);
  co_await http::async_write_header(connection->stream, serializer, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return false;
  if (head) co_return keep_alive;
  if (!plan.text_body.empty()) {
    const auto page = asio::buffer(plan.text_body);
    co_await asio::async_write(connection->stream, page, asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec && keep_alive;
  }
  const bool complete = co_await send_file(connection, plan, answer.file);
  co_return complete && keep_alive;
}

template <typename Stream>
asio::awaitable<void> serve(std::shared_ptr<ServerState> state, std::shared_ptr<Connection<Stream>> connection) {
  error_code ec;
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    co_await connection->stream.async_handshake(asio::ssl::stream_base::server,
                                                asio::redirect_error(asio::use_awaitable, ec));
    if (ec) spdlog::debug("firmware server: TLS handshake failed: {}", ec.message());
  }
  beast::flat_buffer buffer;
  while (!ec) {
    http::request<http::empty_body> request;
    co_await http::async_read(connection->stream, buffer, request, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    const bool again = co_await respond(state, connection, std::move(request));
    if (!again) break;
  }
  // No TLS close_notify: the client has what it needs (or a fault cut it).
  connection->close();
  state->connections.erase(connection);
}

template <typename Stream, typename... Args>
void spawn(const std::shared_ptr<ServerState>& state, asio::ip::tcp::socket socket, Args&... tls_context) {
  auto connection = std::make_shared<Connection<Stream>>(std::move(socket), tls_context...);
  state->connections.insert(connection);
  asio::co_spawn(state->io, serve(state, std::move(connection)), asio::detached);
}

}  // namespace

void start_connection(const std::shared_ptr<ServerState>& state, asio::ip::tcp::socket socket) {
  if (state->tls) {
    spawn<TlsStream>(state, std::move(socket), *state->tls);
  } else {
    spawn<PlainStream>(state, std::move(socket));
  }
}

}  // namespace otagw::cloudsim::detail
