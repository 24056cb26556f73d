#include "subdev/line_splitter.hpp"

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

std::string printable_line(std::string_view line) {
  std::string out(line);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7f) c = '?';
  }
  return out;
}

}  // namespace otagw::subdev
