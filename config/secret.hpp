#pragma once
// A credential that must never reach a log. It has no stream operator and no
// fmt formatter on purpose: printing one is a compile error. Call reveal() only
// where the bytes are used (signing), never to build a message.
#include <string>
#include <utility>

namespace otagw::config {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  [[nodiscard]] const std::string& reveal() const noexcept { return value_; }
  [[nodiscard]] bool empty() const noexcept { return value_.empty(); }
  friend bool operator==(const Secret&, const Secret&) = default;

 private:
  std::string value_;
};

}  // namespace otagw::config
