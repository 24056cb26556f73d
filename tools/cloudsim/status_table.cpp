#include "tools/cloudsim/status_table.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

namespace otagw::cloudsim {
namespace {

constexpr std::size_t kBarWidth = 20;

std::string_view step_meaning(std::string_view step) {
  if (step == "-1") return "upgrade failed";
  if (step == "-2") return "download failed";
  if (step == "-3") return "verification failed";
  if (step == "-4") return "flashing failed";
  return "failed";
}

std::string or_dash(const std::string& text) { return text.empty() ? "-" : text; }

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

std::string progress_cell(const ModuleOutcome& row) {
  int percent = -1;
  switch (row.phase) {
    case Phase::offered: percent = 0; break;
    case Phase::downloading:
    case Phase::flashing: percent = row.progress; break;
    case Phase::done:
      if (row.result == Result::upgraded) percent = 100;
      break;
    case Phase::waiting:
    case Phase::informed: break;
  }
  if (percent < 0) return std::string(kBarWidth + 7, ' ');
  const auto filled = static_cast<std::size_t>(percent) * kBarWidth / 100;
  std::string cell = "[" + std::string(filled, '#') + std::string(kBarWidth - filled, '-') + "] ";
  const std::string number = std::to_string(percent) + "%";
  return cell + std::string(4 - std::min<std::size_t>(4, number.size()), ' ') + number;
}

unsigned terminal_width(std::FILE* out) {
  winsize size{};
  if (::ioctl(::fileno(out), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 0;  // unknown: do not cut
}

struct Widths {
  std::size_t device = 6, version_from = 4, version_to = 2;
};

Widths widths(const std::vector<ModuleOutcome>& rows) {
  Widths w;
  for (const auto& row : rows) {
    w.device = std::max(w.device, row.label().size());
    w.version_from = std::max(w.version_from, or_dash(row.from).size());
    w.version_to = std::max(w.version_to, or_dash(row.to).size());
  }
  return w;
}

}  // namespace

std::optional<TableMode> parse_table_mode(std::string_view text, std::FILE* out) {
  if (text == "auto") return ::isatty(::fileno(out)) != 0 ? TableMode::live : TableMode::plain;
  if (text == "live") return TableMode::live;
  if (text == "plain") return TableMode::plain;
  if (text == "off") return TableMode::off;
  return std::nullopt;
}

std::string result_text(const ModuleOutcome& row) {
  switch (row.phase) {
    case Phase::waiting: return "waiting";
    case Phase::informed: return "reported " + row.from;
    case Phase::offered: return "offered";
    case Phase::downloading: return "downloading";
    case Phase::flashing: return "flashing";
    case Phase::done: break;
  }
  switch (row.result) {
    case Result::upgraded: return "upgraded";
    case Result::current: return "up to date";
    case Result::no_reply: return "no reply (scenario)";
    case Result::failed: return "failed " + row.failure_step + " (" + std::string(step_meaning(row.failure_step)) + ")";
    case Result::offered: return "offered";
    case Result::not_seen: return "not seen";
  }
  return "?";
}

std::string final_table(const std::vector<ModuleOutcome>& rows) {
  const Widths w = widths(rows);
  std::string text = pad("device", w.device) + "  " + pad("from", w.version_from) + "  " + pad("to", w.version_to) +
                     "  result\n";
  for (const auto& row : rows) {
    text += pad(row.label(), w.device) + "  " + pad(or_dash(row.from), w.version_from) + "  " +
            pad(or_dash(row.to), w.version_to) + "  " + result_text(row) + "\n";
  }
  return text;
}

void StatusTable::update(const std::vector<ModuleOutcome>& rows) {
  if (mode_ == TableMode::live) draw_live(rows);
  if (mode_ == TableMode::plain) print_changes(rows);
}

void StatusTable::finish(const std::vector<ModuleOutcome>& rows) {
  update(rows);
  drawn_.clear();
  lines_ = 0;
}

void StatusTable::draw_live(const std::vector<ModuleOutcome>& rows) {
  const Widths w = widths(rows);
  std::vector<std::string> lines;
  lines.push_back(pad("device", w.device) + "  " + pad("from", w.version_from) + "  " + pad("to", w.version_to) + "  " +
                  pad("progress", kBarWidth + 7) + "  result");
  for (const auto& row : rows) {
    lines.push_back(pad(row.label(), w.device) + "  " + pad(or_dash(row.from), w.version_from) + "  " +
                    pad(or_dash(row.to), w.version_to) + "  " + progress_cell(row) + "  " + result_text(row));
  }
  // A wrapped line would throw the cursor arithmetic off: cut to the width.
  if (const unsigned width = terminal_width(out_); width > 1) {
    for (auto& line : lines) {
      if (line.size() >= width) line.resize(width - 1);
    }
  }
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  if (text == drawn_) return;
  std::string frame;
  // Back to the first line of the previous drawing, then overwrite it.
  if (lines_ > 0) frame += "\x1b[" + std::to_string(lines_) + "F";
  for (const auto& line : lines) frame += "\x1b[2K" + line + "\n";
  std::fputs(frame.c_str(), out_);
  std::fflush(out_);
  drawn_ = std::move(text);
  lines_ = lines.size();
}

void StatusTable::print_changes(const std::vector<ModuleOutcome>& rows) {
  for (const auto& row : rows) {
    if (row.phase == Phase::waiting || row.phase == Phase::informed) continue;
    std::string line;
    std::string key;
    switch (row.phase) {
      case Phase::offered:
        key = "offered";
        line = "offered " + or_dash(row.from) + " -> " + row.to;
        break;
      case Phase::downloading:
        key = "downloading " + std::to_string(row.progress / 25);
        line = "downloading " + std::to_string(row.progress / 25 * 25) + "%";
        break;
      case Phase::flashing:
        key = line = "downloaded, flashing";
        break;
      default:
        key = std::string(to_string(row.result)) + row.failure_step;
        line = result_text(row);
        if (row.result == Result::upgraded) line += " " + or_dash(row.from) + " -> " + row.version;
        if (row.result == Result::current) line += " at " + or_dash(row.version);
        if (row.result == Result::failed && !row.failure_desc.empty()) line += ": " + row.failure_desc;
    }
    auto& said = said_[row.product_key + "/" + row.label()];
    if (said == key) continue;
    said = key;
    std::fprintf(out_, "%s: %s\n", row.label().c_str(), line.c_str());
  }
  std::fflush(out_);
}

}  // namespace otagw::cloudsim
