#pragma once
// `otagwctl status --watch` on a terminal: a frame redrawn in place. On top
// the daemon's connection and the pass; then a progress bar for every job in
// flight (download and flash); then the other sub-devices, compactly. The
// frame never grows past the terminal: what does not fit is counted.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "tools/otagwctl/status_view.hpp"
#include "tools/otagwctl/text_cells.hpp"

namespace otagw::ctl {

struct TerminalSize {
  std::size_t columns = 80;
  std::size_t rows = 24;
};

// One frame: at most `size.rows - 1` lines (the cursor waits on the line
// below), each shorter than `size.columns` (a full line would wrap and throw
// the redraw's cursor arithmetic off).
// `now`: last checks of this day show the time only.
[[nodiscard]] std::vector<std::string> live_frame(const StatusView& status, TerminalSize size, TimeZone zone,
                                                  std::chrono::system_clock::time_point now);

// The escape sequences that turn the previous frame into the next one.
class LiveScreen {
 public:
  // The bytes that overwrite the last frame with `lines` and leave the cursor
  // below them; empty when the frame did not change.
  [[nodiscard]] std::string draw(const std::vector<std::string>& lines);

  // The terminal was resized (it may have rewrapped the old frame): the next
  // draw clears the screen and starts at its top.
  void resized() { clear_screen_ = true; }

 private:
  std::vector<std::string> drawn_;
  bool clear_screen_ = false;
};

}  // namespace otagw::ctl
