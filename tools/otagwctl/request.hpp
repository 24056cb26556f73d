#pragma once
// One request and its answer (docs/control.md, protocol version 1): the
// request line, the wait for the one answer line, and what an answer that is
// an error means for the operator.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include "tools/otagwctl/control_client.hpp"
#include "tools/otagwctl/exit_code.hpp"

namespace otagw::ctl {

inline constexpr int kProtocolVersion = 1;

// Why a command ends without its outcome: the exit code and what stderr says.
struct Failure {
  ExitCode code;
  std::string message;
};

struct Answer {
  nlohmann::ordered_json body;  // in the daemon's key order, for --json
  std::string line;             // as received
  bool ok = false;
  std::string error_code;       // when !ok
  std::string error_message;

  // stderr's text for an error answer: what otagwd said, what to do next.
  [[nodiscard]] std::string refusal() const;
};

// An answer line read: nullopt when it is not a JSON object.
[[nodiscard]] std::optional<Answer> parse_answer(std::string line);

// {"v": 1, "cmd": CMD} plus "device" when given, as one line.
[[nodiscard]] std::string request_line(std::string_view cmd, const std::optional<std::string>& device = std::nullopt);

// "PK/DN" as is, "PK.DN" as "PK/DN"; nullopt when it is neither.
[[nodiscard]] std::optional<std::string> device_argument(std::string_view text);

// Connects to `socket`, sends `line` and waits for the answer until
// `timeout` has passed (connecting included). An unreachable daemon, a
// closed connection or a time-out is a Failure with exit_unreachable; an
// answer, error or not, is an Answer.
[[nodiscard]] tl::expected<Answer, Failure> ask(const std::filesystem::path& socket, const std::string& line,
                                                std::chrono::milliseconds timeout);

// The answer awaited on a connection made already (watch keeps reading it).
[[nodiscard]] tl::expected<Answer, Failure> await_answer(ControlClient& client, Clock::time_point deadline,
                                                         std::chrono::milliseconds timeout);

}  // namespace otagw::ctl
