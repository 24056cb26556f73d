#pragma once
// A small terminal for tests: it interprets the output a program writes to a
// pseudo-terminal (text, CR, LF, the CSI sequences a redrawing view uses) into
// the screen a person would see. A sequence it does not know is recorded,
// so a test notices output a real terminal would show as garbage.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace otagw::ctl_test {

class TerminalScreen {
 public:
  TerminalScreen(std::size_t columns, std::size_t rows);

  void feed(std::string_view bytes);

  // The visible rows, trailing blanks removed.
  [[nodiscard]] std::vector<std::string> rows() const;
  // The visible rows as one text, a newline after each non-empty prefix of rows.
  [[nodiscard]] std::string text() const;
  // Rows that scrolled off the top, oldest first.
  [[nodiscard]] const std::vector<std::string>& scrolled() const noexcept { return scrolled_; }
  // Escape sequences this screen did not understand.
  [[nodiscard]] const std::vector<std::string>& unknown_sequences() const noexcept { return unknown_; }
  [[nodiscard]] std::size_t cursor_row() const noexcept { return row_; }

  void resize(std::size_t columns, std::size_t rows);

 private:
  void put(char c);
  void line_feed();
  void csi(std::string_view parameters, char final);
  std::string& line(std::size_t row) { return grid_[row]; }

  std::size_t columns_;
  std::size_t rows_;
  std::vector<std::string> grid_;  // each exactly columns_ wide
  std::vector<std::string> scrolled_;
  std::vector<std::string> unknown_;
  std::size_t row_ = 0;
  std::size_t column_ = 0;
  std::string escape_;  // a sequence being read, from ESC on
};

}  // namespace otagw::ctl_test
