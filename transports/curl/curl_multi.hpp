#pragma once
// libcurl's multi_socket interface on an io_context: libcurl says which
// sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to wake it
// (CURLMOPT_TIMERFUNCTION); Asio waits and calls curl_multi_socket_action.
// Same mechanics as curl's asio example, without its globals.
//
// Socket ownership: libcurl opens and closes its sockets. For each socket it
// asks us to watch we wait on our own dup() of it, which Asio owns and closes.
// Why not release() a descriptor wrapping curl's number (mosquitto's way) or
// OPENSOCKETFUNCTION/CLOSESOCKETFUNCTION (curl's example): the threaded
// resolver's socketpair never goes through OPENSOCKETFUNCTION, and a number
// curl closed and reused before we deregister it would make Asio deregister
// the wrong socket. A dup's number stays ours until we close it, and closing
// it never closes curl's socket. Cost: one dup per watched socket.
//
// Loop thread only. Must be owned by a shared_ptr (create()): pending waits
// hold weak references.
#include <curl/curl.h>

#include <functional>
#include <map>
#include <memory>

#include "transports/asio.hpp"

namespace otagw::transports::curl {

class CurlMulti : public std::enable_shared_from_this<CurlMulti> {
 public:
  using DoneHandler = std::function<void(CURLcode)>;

  [[nodiscard]] static std::shared_ptr<CurlMulti> create(asio::any_io_executor loop);
  // Removes what is still running, without calling its handlers.
  ~CurlMulti();
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;

  // Starts a transfer; `done` runs on the loop once libcurl finished it
  // (never from inside add). The easy handle must live until then or until
  // remove(). False if libcurl refuses the handle.
  [[nodiscard]] bool add(CURL* easy, DoneHandler done);
  // Stops a transfer without calling its handler. Not from inside a libcurl
  // callback (write, header, ...).
  void remove(CURL* easy);

  // For the constructor only (create() is the way in).
  struct Private {};
  CurlMulti(Private, asio::any_io_executor loop);

 private:
  struct Watch;

  static int socket_callback(CURL* easy, curl_socket_t fd, int what, void* self, void* socket_data);
  static int timer_callback(CURLM* multi, long timeout_ms, void* self);
  int on_socket(curl_socket_t fd, int what);
  void on_timer(long timeout_ms);
  void arm(const std::shared_ptr<Watch>& watch);
  void wait(const std::shared_ptr<Watch>& watch, bool for_read);
  void act(curl_socket_t fd, int events);
  void finish_done_transfers();

  asio::any_io_executor loop_;
  CURLM* multi_ = nullptr;
  asio::steady_timer timer_;
  std::map<curl_socket_t, std::shared_ptr<Watch>> watches_;  // by libcurl's socket number
  std::map<CURL*, DoneHandler> transfers_;
};

}  // namespace otagw::transports::curl
