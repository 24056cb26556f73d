#pragma once
// Splitting a plugin's output into lines in bounded memory, and making a line
// safe to log. Free of Asio so the fuzz targets (clang, where Boost 1.74 has no
// co_await with libstdc++) can build it; line_reader.hpp reads pipes with it.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace otagw::subdev {

// Splits a byte stream into lines ("\n" or "\r\n"; the last line needs no
// newline). A line longer than `max_line` bytes is cut there: the first
// `max_line` bytes are delivered with `truncated` set, the rest up to the next
// newline is dropped.
class LineSplitter {
 public:
  using LineHandler = std::function<void(std::string_view line, bool truncated)>;

  explicit LineSplitter(std::size_t max_line) : max_line_(max_line) {}

  void feed(std::string_view bytes, const LineHandler& on_line);
  // End of stream: delivers a last line that had no newline.
  void finish(const LineHandler& on_line);

 private:
  void deliver(const LineHandler& on_line);

  std::size_t max_line_;
  std::string line_;
  bool truncated_ = false;
};

// A line from a plugin made safe to log: control characters (escape
// sequences, NUL) become '?', tabs stay.
[[nodiscard]] std::string printable_line(std::string_view line);

}  // namespace otagw::subdev
