#include "subdev/line_reader.hpp"

#include <array>

namespace otagw::subdev {

asio::awaitable<void> read_lines(asio::posix::stream_descriptor* pipe, std::size_t max_line,
                                 LineSplitter::LineHandler on_line) {
  LineSplitter splitter(max_line);
  std::array<char, 16384> buffer;
  for (;;) {
    boost::system::error_code ec;
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    auto view = asio::buffer(buffer);
    const std::size_t n = co_await pipe->async_read_some(view, token);
    if (n > 0) splitter.feed(std::string_view(buffer.data(), n), on_line);
    if (ec) break;  // eof, operation_aborted (closed by the caller), or a read error
  }
  splitter.finish(on_line);
}

}  // namespace otagw::subdev
