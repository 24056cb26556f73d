#pragma once
// A move-only, type-erased completion handler of one signature:
// Completion<void(std::error_code)> for MqttSession's operations,
// Completion<void(std::error_code, DownloadResult)> for HttpDownloader's.
//
// The async_* templates turn whatever completion token they get
// (use_awaitable, a lambda, ...) into one of these, so the implementations stay
// out of headers. complete() never runs the handler inline: it posts it to the
// handler's associated executor (falling back to the initiating object's), as
// Asio's composed operations must.
#include <memory>
#include <tuple>
#include <utility>

#include "transports/asio.hpp"

namespace otagw::transports {

template <typename Signature>
class Completion;

template <typename... Args>
class Completion<void(Args...)> {
 public:
  Completion() = default;

  template <typename Handler>
  Completion(Handler handler, asio::any_io_executor fallback)
      : impl_(std::make_unique<Impl<Handler>>(std::move(handler), std::move(fallback))) {}

  explicit operator bool() const noexcept { return impl_ != nullptr; }

  // Posts the handler with `args`; a second call is a no-op.
  void complete(Args... args) {
    if (auto impl = std::move(impl_)) impl->post(std::move(args)...);
  }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void post(Args... args) = 0;
  };

  template <typename Handler>
  struct Impl final : Base {
    Impl(Handler h, asio::any_io_executor fallback) : handler(std::move(h)), work(std::move(fallback)) {}
    void post(Args... args) override {
      auto executor = asio::get_associated_executor(handler, work);
      asio::post(executor, [h = std::move(handler), stored = std::make_tuple(std::move(args)...)]() mutable {
        std::apply(std::move(h), std::move(stored));
      });
    }
    Handler handler;
    asio::any_io_executor work;
  };

  std::unique_ptr<Base> impl_;
};

}  // namespace otagw::transports
