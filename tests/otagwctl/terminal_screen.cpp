#include "tests/otagwctl/terminal_screen.hpp"

#include <algorithm>
#include <cstdlib>

namespace otagw::ctl_test {
namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

std::size_t number_or(std::string_view text, std::size_t fallback) {
  if (text.empty()) return fallback;
  return static_cast<std::size_t>(std::strtoul(std::string(text).c_str(), nullptr, 10));
}

}  // namespace

TerminalScreen::TerminalScreen(std::size_t columns, std::size_t rows)
    : columns_(columns), rows_(rows), grid_(rows, std::string(columns, ' ')) {}

void TerminalScreen::resize(std::size_t columns, std::size_t rows) {
  // Like xterm: no reflow; rows are cut or padded, the cursor kept inside.
  for (auto& row : grid_) row.resize(columns, ' ');
  grid_.resize(rows, std::string(columns, ' '));
  columns_ = columns;
  rows_ = rows;
  row_ = std::min(row_, rows - 1);
  column_ = std::min(column_, columns - 1);
}

void TerminalScreen::feed(std::string_view bytes) {
  for (const char c : bytes) {
    if (!escape_.empty()) {
      escape_ += c;
      if (escape_.size() == 2) {
        if (c != '[') {  // not a CSI sequence
          unknown_.push_back(escape_);
          escape_.clear();
        }
        continue;
      }
      if (c >= 0x40 && c <= 0x7E) {  // the final byte
        csi(std::string_view(escape_).substr(2, escape_.size() - 3), c);
        escape_.clear();
      }
      continue;
    }
    switch (c) {
      case '\x1b': escape_ = "\x1b"; break;
      case '\r': column_ = 0; break;
      case '\n': line_feed(); break;  // the pty turns \n into \r\n (ONLCR)
      case '\b':
        if (column_ > 0) --column_;
        break;
      case '\a': break;
      default: put(c);
    }
  }
}

void TerminalScreen::put(char c) {
  if (column_ >= columns_) {  // autowrap
    column_ = 0;
    line_feed();
  }
  line(row_)[column_++] = c;
}

void TerminalScreen::line_feed() {
  if (row_ + 1 < rows_) {
    ++row_;
    return;
  }
  scrolled_.push_back(trimmed(grid_.front()));
  grid_.erase(grid_.begin());
  grid_.emplace_back(columns_, ' ');
}

void TerminalScreen::csi(std::string_view parameters, char final) {
  switch (final) {
    case 'F': {  // cursor to the first column, N lines up
      const std::size_t n = number_or(parameters, 1);
      row_ = row_ >= n ? row_ - n : 0;
      column_ = 0;
      return;
    }
    case 'A': {
      const std::size_t n = number_or(parameters, 1);
      row_ = row_ >= n ? row_ - n : 0;
      return;
    }
    case 'H':
      if (parameters.empty()) {
        row_ = 0;
        column_ = 0;
        return;
      }
      break;
    case 'K': {
      const std::size_t mode = number_or(parameters, 0);
      std::string& current = line(row_);
      if (mode == 0) std::fill(current.begin() + static_cast<long>(std::min(column_, columns_)), current.end(), ' ');
      if (mode == 2) current.assign(columns_, ' ');
      if (mode == 0 || mode == 2) return;
      break;
    }
    case 'J': {
      const std::size_t mode = number_or(parameters, 0);
      if (mode == 0) {
        std::string& current = line(row_);
        std::fill(current.begin() + static_cast<long>(std::min(column_, columns_)), current.end(), ' ');
        for (std::size_t r = row_ + 1; r < rows_; ++r) grid_[r].assign(columns_, ' ');
        return;
      }
      if (mode == 2) {
        for (auto& r : grid_) r.assign(columns_, ' ');
        return;
      }
      break;
    }
    default: break;
  }
  unknown_.push_back("ESC[" + std::string(parameters) + final);
}

std::vector<std::string> TerminalScreen::rows() const {
  std::vector<std::string> out;
  for (const auto& row : grid_) out.push_back(trimmed(row));
  return out;
}

std::string TerminalScreen::text() const {
  auto lines = rows();
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

}  // namespace otagw::ctl_test
