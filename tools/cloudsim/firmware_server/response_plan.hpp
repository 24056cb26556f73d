#pragma once
// What to answer to one request for a served file, faults applied: pure
// logic, no I/O, so the connection code only carries it out.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tools/cloudsim/firmware_server/fault_spec.hpp"

namespace otagw::cloudsim {

struct ResponsePlan {
  unsigned status = 200;
  std::optional<std::uint64_t> content_length;  // declared; none = body ends at close
  std::string content_range;                    // "" = no Content-Range
  std::string location;                         // "" = no Location
  std::string content_type = "application/octet-stream";
  std::string text_body;        // the body of an error answer (then no file bytes)
  std::uint64_t file_offset = 0;  // first byte of the file to send
  std::uint64_t file_bytes = 0;   // bytes of the file to send if no fault cuts them
  std::optional<std::uint64_t> drop_after;   // close after this many body bytes
  std::optional<std::uint64_t> stall_after;  // pause after this many body bytes ...
  std::chrono::milliseconds stall_for{0};    // ... for this long
  std::uint64_t rate_bytes_per_s = 0;
  bool close_after = false;  // the connection cannot be reused after this answer
  bool no_answer = false;    // close at once, without a status line (a scheduled drop before the answer)
};

// `drop_now`: this request is one of the first `drop_times`.
[[nodiscard]] ResponsePlan plan_response(const FaultSpec& faults, std::uint64_t file_size, std::string_view range_header,
                                         bool drop_now);

// A small HTML error page with `status`.
[[nodiscard]] ResponsePlan error_plan(unsigned status);

}  // namespace otagw::cloudsim
