#include "subdev/line_reader.hpp"

#include <array>

namespace otagw::subdev {

void LineSplitter::feed(std::string_view bytes, const LineHandler& on_line) {
  while (!bytes.empty()) {
    const auto newline = bytes.find('\n');
    const auto chunk = bytes.substr(0, newline);
    if (!truncated_) {
      const auto room = max_line_ - line_.size();
      line_.append(chunk.substr(0, room));
      if (chunk.size() > room) truncated_ = true;
    }
    if (newline == std::string_view::npos) return;
    deliver(on_line);
    bytes.remove_prefix(newline + 1);
  }
}

void LineSplitter::finish(const LineHandler& on_line) {
  if (!line_.empty() || truncated_) deliver(on_line);
}

void LineSplitter::deliver(const LineHandler& on_line) {
  if (!truncated_ && !line_.empty() && line_.back() == '\r') line_.pop_back();
  on_line(line_, truncated_);
  line_.clear();
  truncated_ = false;
}

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

std::string printable_line(std::string_view line) {
  std::string out(line);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7f) c = '?';
  }
  return out;
}

}  // namespace otagw::subdev
