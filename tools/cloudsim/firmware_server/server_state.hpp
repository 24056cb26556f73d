#pragma once
// What the firmware server's accept loop and connections share. Everything
// but `files` belongs to the io_context's thread.
#include <utility>  // before Asio (asio issue 944)

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <optional>
#include <set>

#include "tools/cloudsim/firmware_server/served_files.hpp"

namespace otagw::cloudsim::detail {

// A live connection, as stop() sees it.
class ConnectionControl {
 public:
  virtual ~ConnectionControl() = default;
  // Closes the socket and wakes a stalled or rate-limited sender.
  virtual void close() = 0;
};

struct ServerState {
  explicit ServerState(boost::asio::io_context& context) : io(context), acceptor(context) {}

  boost::asio::io_context& io;
  std::optional<boost::asio::ssl::context> tls;  // set: HTTPS
  boost::asio::ip::tcp::acceptor acceptor;
  std::uint16_t port = 0;
  ServedFiles files;
  std::set<std::shared_ptr<ConnectionControl>> connections;
  bool stopped = false;
};

// Serves requests on an accepted socket until the peer leaves, a fault or
// the answer ends the connection, or stop().
void start_connection(const std::shared_ptr<ServerState>& state, boost::asio::ip::tcp::socket socket);

}  // namespace otagw::cloudsim::detail
