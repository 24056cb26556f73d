// FirmwareServer: the listening socket, the TLS context and stop(); the
// connections are in http_connection.cpp.
#include "tools/cloudsim/firmware_server/firmware_server.hpp"

#include <utility>  // before Asio (asio issue 944)

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "tools/cloudsim/firmware_server/server_state.hpp"

namespace otagw::cloudsim {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

asio::awaitable<void> accept_loop(std::shared_ptr<detail::ServerState> state) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await state->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (state->stopped || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      spdlog::warn("firmware server: accept failed: {}", ec.message());
      continue;
    }
    detail::start_connection(state, std::move(socket));
  }
}

void stop_now(detail::ServerState& state) {
  if (state.stopped) return;
  state.stopped = true;
  boost::system::error_code ignored;
  state.acceptor.close(ignored);
  auto connections = std::move(state.connections);
  state.connections.clear();
  for (const auto& connection : connections) connection->close();
}

}  // namespace

FirmwareServer::FirmwareServer(asio::io_context& io, bool tls, std::string cert_file, std::string key_file,
                               std::uint16_t port, const std::string& address)
    : state_(std::make_shared<detail::ServerState>(io)) {
  if (tls) {
    auto& context = state_->tls.emplace(asio::ssl::context::tls_server);
    context.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    context.use_certificate_chain_file(cert_file);
    context.use_private_key_file(key_file, asio::ssl::context::pem);
  }
  const tcp::endpoint endpoint(asio::ip::make_address_v4(address), port);
  state_->acceptor.open(endpoint.protocol());
  state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  state_->acceptor.bind(endpoint);
  state_->acceptor.listen();
  state_->port = state_->acceptor.local_endpoint().port();
  asio::co_spawn(io, accept_loop(state_), asio::detached);
}

FirmwareServer::~FirmwareServer() { stop(); }

std::uint16_t FirmwareServer::port() const noexcept { return state_->port; }

bool FirmwareServer::tls() const noexcept { return state_->tls.has_value(); }

void FirmwareServer::add_file(std::string url_path, std::filesystem::path file, FaultSpec faults) {
  state_->files.add(std::move(url_path), std::move(file), std::move(faults));
}

void FirmwareServer::set_faults(const std::string& url_path, FaultSpec faults) {
  state_->files.set_faults(url_path, std::move(faults));
}

std::uint64_t FirmwareServer::requests(const std::string& url_path) const { return state_->files.requests(url_path); }

std::vector<std::string> FirmwareServer::range_headers(const std::string& url_path) const {
  return state_->files.range_headers(url_path);
}

void FirmwareServer::stop() {
  // Sockets and the acceptor belong to the loop's thread: run there (at once
  // when called on it).
  asio::dispatch(state_->io, [state = state_] { stop_now(*state); });
}

}  // namespace otagw::cloudsim
