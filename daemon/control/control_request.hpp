#pragma once
// The control socket's requests (docs/control.md, protocol version 1): the
// one place a client's line is parsed, bounded and typed. Past it only
// ControlRequest; nothing here throws on any input.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <tl/expected.hpp>

namespace otagw::daemon {

inline constexpr int kControlProtocolVersion = 1;
inline constexpr std::size_t kMaxControlLine = 4096;  // bytes, without the newline

enum class ControlCommand { status, watch, sweep, check, reload };

[[nodiscard]] std::string_view to_string(ControlCommand command) noexcept;

// A request's `id`, echoed in its answer: a string (at most 64 bytes) or an integer.
using ControlRequestId = std::variant<std::monostate, std::string, std::int64_t>;

struct ControlRequest {
  ControlCommand command = ControlCommand::status;
  ControlRequestId id;
  // check: the device, as config and state know it.
  std::string product_key;
  std::string device_name;
};

struct ControlError {
  std::string code;  // docs/control.md's table: bad_json, bad_request, ...
  std::string message;
  ControlRequestId id;                   // when the request had a usable one
  std::optional<ControlCommand> command; // when the request had a usable one
};

// One request line (without its newline).
[[nodiscard]] tl::expected<ControlRequest, ControlError> parse_control_request(std::string_view line);

// "PK/DN" or "PK.DN" -> {PK, DN}, both valid identifiers; nullopt otherwise.
[[nodiscard]] std::optional<std::pair<std::string, std::string>> parse_device_name(std::string_view text);

}  // namespace otagw::daemon
