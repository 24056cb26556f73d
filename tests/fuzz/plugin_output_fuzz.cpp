// A plugin's stdout as the daemon reads it (PluginRunner): split into lines by
// LineSplitter at kMaxOutputLine, each line tried as a progress report (flash)
// or the first as the version (version), and logged within a budget.
//
// Input: byte 0 picks the command (even: flash, odd: version), byte 1 the size
// of the reads the bytes arrive in (1..256), the rest is the output.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "subdev/line_splitter.hpp"
#include "subdev/plugin_output.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

bool printable(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return false;
  }
  return true;
}

// Log lines are formatted (printable_line, fmt) but go nowhere.
void quiet_logger() {
  static const bool done = [] {
    auto logger = std::make_shared<spdlog::logger>("fuzz", std::make_shared<spdlog::sinks::null_sink_mt>());
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
    return true;
  }();
  (void)done;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace otagw::subdev;
  if (size < 2) return 0;
  quiet_logger();
  const bool version_run = (data[0] & 1) != 0;
  const std::size_t read_size = data[1] + 1u;
  std::string_view output(reinterpret_cast<const char*>(data) + 2, size - 2);

  // Small enough that long inputs run out of it.
  OutputLog log("fuzz: plugin p", "stdout", OutputLog::Level::debug, 8192);
  bool first_line = true;
  const LineSplitter::LineHandler on_line = [&](std::string_view line, bool truncated) {
    OTAGW_FUZZ_CHECK(line.size() <= kMaxOutputLine);
    OTAGW_FUZZ_CHECK(line.find('\n') == std::string_view::npos);
    const std::string safe = printable_line(line);
    OTAGW_FUZZ_CHECK(safe.size() == line.size());
    for (const char c : safe) OTAGW_FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 || c == '\t');
    if (version_run) {
      if (std::exchange(first_line, false) && !truncated) {
        if (const auto version = parse_version(line)) {
          OTAGW_FUZZ_CHECK(!version->empty() && version->size() <= 32);
          OTAGW_FUZZ_CHECK(printable(*version));
          OTAGW_FUZZ_CHECK(line.find(*version) != std::string_view::npos);
        }
      }
    } else if (const auto progress = truncated ? std::nullopt : parse_progress(line)) {
      OTAGW_FUZZ_CHECK(*progress >= 0 && *progress <= 100);
      OTAGW_FUZZ_CHECK(line.find("progress") != std::string_view::npos);
      return;
    }
    log.write(line, truncated);
  };

  LineSplitter splitter(kMaxOutputLine);
  while (!output.empty()) {
    const std::size_t n = std::min(read_size, output.size());
    splitter.feed(output.substr(0, n), on_line);
    output.remove_prefix(n);
  }
  splitter.finish(on_line);
  return 0;
}
