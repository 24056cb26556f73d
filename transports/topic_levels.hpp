#pragma once
// Splitting an MQTT topic of the platform ("/a/b/c") into its levels, for the
// places that classify topics (the gateway's message seam, the simulator).
// Header only and free of Asio, so the fuzzers build it too.
#include <array>
#include <cstddef>
#include <string_view>

namespace otagw::transports {

// Splits `topic` into exactly N levels after its leading '/'; false when the
// level count differs, a level is empty or there is no leading '/'.
template <std::size_t N>
[[nodiscard]] bool split_topic_levels(std::string_view topic, std::array<std::string_view, N>& levels) {
  if (topic.empty() || topic.front() != '/') return false;
  topic.remove_prefix(1);
  for (std::size_t i = 0; i < N; ++i) {
    const auto slash = topic.find('/');
    if (i + 1 < N) {
      if (slash == std::string_view::npos) return false;
      levels[i] = topic.substr(0, slash);
      topic.remove_prefix(slash + 1);
    } else {
      if (slash != std::string_view::npos) return false;
      levels[i] = topic;
    }
    if (levels[i].empty()) return false;
  }
  return true;
}

}  // namespace otagw::transports
