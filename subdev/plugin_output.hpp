#pragma once
// What the daemon makes of a plugin's output lines: progress reports, the
// answer to `version`, and log lines within a budget (so a chatty plugin can
// fill neither memory nor the journal).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace otagw::subdev {

// A plugin's output line is cut after this many bytes (LineSplitter); the
// fuzz target splits its input the same way.
inline constexpr std::size_t kMaxOutputLine = 4096;

// "progress N" with N an integer 0..100 (surrounding blanks allowed), else
// nullopt.
[[nodiscard]] std::optional<int> parse_progress(std::string_view line);

// The line without surrounding whitespace, if that is a valid version (1..32
// printable characters without whitespace, as in the config), else nullopt.
[[nodiscard]] std::optional<std::string> parse_version(std::string_view line);

// Logs a plugin's lines as "{prefix}: {line}" at `level` until `budget` is
// spent (each line costs its length + 64), then says once that the rest is
// dropped. `device` ("PK/DN") and `target_version` go with each line as
// device_log fields (empty device = none).
class OutputLog {
 public:
  enum class Level { debug, info };

  OutputLog(std::string prefix, std::string stream_name, Level level, std::size_t budget, std::string device = {},
            std::string target_version = {})
      : prefix_(std::move(prefix)),
        stream_name_(std::move(stream_name)),
        level_(level),
        budget_(budget),
        device_(std::move(device)),
        target_version_(std::move(target_version)) {}

  void write(std::string_view line, bool truncated);

 private:
  std::string prefix_;
  std::string stream_name_;
  Level level_;
  std::size_t budget_;
  std::string device_;
  std::string target_version_;
  bool exhausted_ = false;
};

}  // namespace otagw::subdev
