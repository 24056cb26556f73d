#pragma once
// A move-only, type-erased `void(std::error_code)` completion handler.
//
// The async_* templates of MqttSession turn whatever completion token they get
// (use_awaitable, a lambda, ...) into one of these, so the session's
// implementation stays out of headers. complete() never runs the handler
// inline: it posts it to the handler's associated executor (falling back to the
// session's), as Asio's composed operations must.
#include <memory>
#include <system_error>
#include <utility>

#include "transports/asio.hpp"

namespace otagw::transports {

class Completion {
 public:
  Completion() = default;

  template <typename Handler>
  Completion(Handler handler, asio::any_io_executor fallback)
      : impl_(std::make_unique<Impl<Handler>>(std::move(handler), std::move(fallback))) {}

  explicit operator bool() const noexcept { return impl_ != nullptr; }

  // Posts the handler with `ec`; a second call is a no-op.
  void complete(std::error_code ec) {
    if (auto impl = std::move(impl_)) impl->post(ec);
  }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void post(std::error_code ec) = 0;
  };

  template <typename Handler>
  struct Impl final : Base {
    Impl(Handler h, asio::any_io_executor fallback) : handler(std::move(h)), work(std::move(fallback)) {}
    void post(std::error_code ec) override {
      auto executor = asio::get_associated_executor(handler, work);
      asio::post(executor, [h = std::move(handler), ec]() mutable { std::move(h)(ec); });
    }
    Handler handler;
    asio::any_io_executor work;
  };

  std::unique_ptr<Base> impl_;
};

}  // namespace otagw::transports
