#pragma once
// Faults the firmware server injects into the answers for one file, so tests
// can check that the gateway survives what real CDNs and networks do.
// Offsets are in bytes of the response body (after a Range: of the part sent).
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace otagw::cloudsim {

struct FaultSpec {
  // Close the connection after this many body bytes, for the first
  // `drop_times` requests after add_file/set_faults (<= 0: every request).
  std::optional<std::uint64_t> drop_at_byte;
  int drop_times = 1;
  // Per request since add_file/set_faults: request i closes the connection
  // after drop_schedule[i] body bytes (kNoAnswer: right after reading the
  // request, before any answer); an offset at or past the end of the body
  // sends it whole. While the list lasts it takes the place of drop_at_byte;
  // requests past its end get drop_at_byte's treatment (counted from there).
  // For in-process tests (not in scenario YAML).
  static constexpr std::uint64_t kNoAnswer = std::numeric_limits<std::uint64_t>::max();
  std::vector<std::uint64_t> drop_schedule;
  // Send `stall_at_byte` body bytes, then nothing for this long (the
  // connection stays open), then the rest.
  std::optional<std::chrono::milliseconds> stall_after_bytes_ms;
  std::uint64_t stall_at_byte = 0;
  bool ignore_range = false;  // answer a Range request with 200 and the whole file
  std::optional<int> status;  // answer this status (404, 500, 403, 410, ...) with a small HTML page
  std::optional<std::string> redirect_to;  // answer 302 with this Location (any URL, any scheme)
  // Declare this Content-Length; send at most that many bytes of the real
  // body, then close (a length that lies either way).
  std::optional<std::uint64_t> wrong_content_length;
  // No Content-Length: the body ends when the connection closes (HTTP/1.0
  // style), so only the client's own limit can stop an oversized body.
  bool no_content_length = false;
  std::uint64_t rate_bytes_per_s = 0;  // 0 = as fast as the socket takes it
};

}  // namespace otagw::cloudsim
