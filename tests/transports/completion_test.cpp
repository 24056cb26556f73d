// The one completion type of transports (MqttSession's void(error_code),
// HttpDownloader's void(error_code, DownloadResult)): never runs the handler
// inside complete(), runs it on the handler's associated executor, once.
#include <catch2/catch.hpp>

#include <memory>
#include <system_error>

#include "transports/completion.hpp"
#include "transports/http_download.hpp"

using namespace otagw;
using transports::Completion;

TEST_CASE("a completion posts its handler, never runs it inline, and runs it once", "[unit]") {
  asio::io_context io;
  int calls = 0;
  std::error_code got;
  Completion<void(std::error_code)> done(
      [&](std::error_code ec) {
        ++calls;
        got = ec;
      },
      io.get_executor());
  CHECK(static_cast<bool>(done));
  done.complete(std::make_error_code(std::errc::timed_out));
  CHECK_FALSE(static_cast<bool>(done));
  CHECK(calls == 0);  // not inline
  done.complete({});  // a second call is a no-op
  io.run();
  CHECK(calls == 1);
  CHECK(got == std::errc::timed_out);
}

TEST_CASE("a completion runs on the handler's associated executor, else the fallback", "[unit]") {
  asio::io_context fallback;
  asio::io_context bound;
  bool ran = false;
  Completion<void(std::error_code, transports::DownloadResult)> done(
      asio::bind_executor(bound.get_executor(),
                          [&](std::error_code ec, transports::DownloadResult result) {
                            ran = !ec && result.bytes == 42 && result.digest_hex == "ab";
                          }),
      fallback.get_executor());
  transports::DownloadResult result;
  result.bytes = 42;
  result.digest_hex = "ab";
  done.complete({}, std::move(result));
  CHECK(fallback.run() == 0);  // nothing was posted there
  CHECK_FALSE(ran);
  CHECK(bound.run() == 1);
  CHECK(ran);
}

TEST_CASE("a completion carries move-only arguments", "[unit]") {
  asio::io_context io;
  int value = 0;
  Completion<void(std::unique_ptr<int>)> done([&](std::unique_ptr<int> p) { value = *p; }, io.get_executor());
  done.complete(std::make_unique<int>(7));
  io.run();
  CHECK(value == 7);
}
