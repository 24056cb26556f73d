#pragma once
// otagw-cloudsim's firmware server: serves firmware packages over HTTP or
// HTTPS on loopback (Boost.Beast), streaming them from disk (never loaded
// whole), with Range support (`bytes=N-`, `bytes=N-M`, `bytes=-S`; 416 past the
// end) and per-file fault injection (FaultSpec). It computes nothing about
// the files: the offer's size and digest are the caller's business.
//
// Runs on the caller's io_context: one coroutine accepts, one per connection
// serves requests in turn (keep-alive). GET and HEAD.
//
// Threading: the catalogue calls (add_file, set_faults, requests,
// range_headers) are thread-safe, so a test may run the io_context in another
// thread. stop() may be called from any thread; destroy the server on the
// io_context's thread or after it stopped running.
#include <utility>  // before Asio (asio issue 944, see transports/asio.hpp)

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tools/cloudsim/firmware_server/fault_spec.hpp"

namespace otagw::cloudsim {

namespace detail {
struct ServerState;
}  // namespace detail

class FirmwareServer {
 public:
  // Listens on `address`:`port` (an IPv4 address; port 0: a free port, see
  // port()). With `tls`,
  // presents `cert_file` (PEM chain) and `key_file` (PEM key); both are
  // ignored without. Throws boost::system::system_error if it cannot bind or
  // load the certificate.
  FirmwareServer(boost::asio::io_context& io, bool tls, std::string cert_file, std::string key_file,
                 std::uint16_t port = 0, const std::string& address = "127.0.0.1");
  ~FirmwareServer();  // stop()
  FirmwareServer(const FirmwareServer&) = delete;
  FirmwareServer& operator=(const FirmwareServer&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept;
  [[nodiscard]] bool tls() const noexcept;

  // Serves `url_path` (e.g. "/fw/a.bin"; any query string in a request is
  // ignored) from `file`, read at each request. Replaces an earlier entry.
  void add_file(std::string url_path, std::filesystem::path file, FaultSpec faults = {});
  // Throws std::invalid_argument for a path never added. Restarts drop_times.
  void set_faults(const std::string& url_path, FaultSpec faults);

  // Requests seen for the path, and each one's Range header ("" if none).
  [[nodiscard]] std::uint64_t requests(const std::string& url_path) const;
  [[nodiscard]] std::vector<std::string> range_headers(const std::string& url_path) const;

  // Stops accepting and closes every connection (a stalled one too). Idempotent.
  void stop();

 private:
  std::shared_ptr<detail::ServerState> state_;
};

}  // namespace otagw::cloudsim
