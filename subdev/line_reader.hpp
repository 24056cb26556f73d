#pragma once
// Reads a plugin's stdout or stderr as lines, in bounded memory: a plugin that
// writes megabytes without a newline costs one line buffer, not megabytes.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "transports/asio.hpp"

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

// Reads `*pipe` until end of file, an error, or cancellation (cancel() or
// close() on it), passing each line to `on_line`; then delivers the
// unterminated rest. Never throws for I/O errors. `pipe` must outlive the
// coroutine (a pointer, since coroutines take parameters by value).
asio::awaitable<void> read_lines(asio::posix::stream_descriptor* pipe, std::size_t max_line,
                                 LineSplitter::LineHandler on_line);

// A line from a plugin made safe to log: control characters (escape
// sequences, NUL) become '?', tabs stay.
[[nodiscard]] std::string printable_line(std::string_view line);

}  // namespace otagw::subdev
