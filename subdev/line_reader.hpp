#pragma once
// Reads a plugin's stdout or stderr as lines, in bounded memory: a plugin that
// writes megabytes without a newline costs one line buffer, not megabytes.
#include <cstddef>

#include "subdev/line_splitter.hpp"
#include "transports/asio.hpp"

namespace otagw::subdev {

// Reads `*pipe` until end of file, an error, or cancellation (cancel() or
// close() on it), passing each line to `on_line`; then delivers the
// unterminated rest. Never throws for I/O errors. `pipe` must outlive the
// coroutine (a pointer, since coroutines take parameters by value).
asio::awaitable<void> read_lines(asio::posix::stream_descriptor* pipe, std::size_t max_line,
                                 LineSplitter::LineHandler on_line);

}  // namespace otagw::subdev
