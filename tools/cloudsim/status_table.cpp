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

// " on uart0" (" uart0" with `word` " "); "" on otagwd's default bus.
std::string on_bus(const ModuleOutcome& row, std::string_view word = " on ") {
  return row.bus == kDefaultBus ? std::string() : std::string(word) + row.bus;
}

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

std::string progress_cell(const ModuleOutcome& row) {
  int percent = -1;
  switch (row.phase) {
    case Phase::offered: percent = 0; break;
    case Phase::downloading:
    case Phase::flashing:
    case Phase::bus_wait: percent = row.progress; break;
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

// Columns and lines of the terminal `out` is; 0 when unknown.
winsize terminal_size(std::FILE* out) {
  winsize size{};
  if (::ioctl(::fileno(out), TIOCGWINSZ, &size) != 0) return {};
  return size;
}

struct Widths {
  std::size_t device = 6, bus = 3, version_from = 4, version_to = 2;
};

// Over all rows, not only those shown: columns do not jump as jobs come and go.
Widths widths(const std::vector<ModuleOutcome>& rows) {
  Widths w;
  for (const auto& row : rows) {
    w.device = std::max(w.device, row.label().size());
    w.bus = std::max(w.bus, row.bus.size());
    w.version_from = std::max(w.version_from, or_dash(row.from).size());
    w.version_to = std::max(w.version_to, or_dash(row.to).size());
  }
  return w;
}

bool has_buses(const std::vector<ModuleOutcome>& rows) {
  return std::any_of(rows.begin(), rows.end(), [](const ModuleOutcome& row) { return row.bus != kDefaultBus; });
}

// "3 running (2 downloading, 1 flashing), 2 upgraded, 1 failed, 4 not checked yet"
std::string counts_line(const std::vector<ModuleOutcome>& rows) {
  std::size_t offered = 0, downloading = 0, flashing = 0, bus_wait = 0, to_check = 0;
  std::size_t upgraded = 0, failed = 0, current = 0, no_reply = 0;
  for (const auto& row : rows) {
    switch (row.phase) {
      case Phase::waiting:
      case Phase::informed: ++to_check; break;
      case Phase::offered: ++offered; break;
      case Phase::downloading: ++downloading; break;
      case Phase::flashing: ++flashing; break;
      case Phase::bus_wait: ++bus_wait; break;
      case Phase::done:
        upgraded += row.result == Result::upgraded ? 1 : 0;
        failed += row.result == Result::failed ? 1 : 0;
        current += row.result == Result::current ? 1 : 0;
        no_reply += row.result == Result::no_reply ? 1 : 0;
        break;
    }
  }
  std::string running;
  const auto add = [](std::string& text, std::size_t n, std::string_view what) {
    if (n == 0) return;
    if (!text.empty()) text += ", ";
    text += std::to_string(n) + " " + std::string(what);
  };
  add(running, offered, "offered");
  add(running, downloading, "downloading");
  add(running, flashing, "flashing");
  add(running, bus_wait, "waiting for a bus");
  std::string line = std::to_string(offered + downloading + flashing + bus_wait) + " running";
  if (!running.empty()) line += " (" + running + ")";
  add(line, upgraded, "upgraded");
  add(line, failed, "failed");
  add(line, current, "up to date");
  add(line, no_reply, "no reply");
  add(line, to_check, "not checked yet");
  return line;
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
    case Phase::bus_wait: return "downloaded, waiting for its bus";
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
  const bool buses = has_buses(rows);
  std::string text = pad("device", w.device) + "  " + (buses ? pad("bus", w.bus) + "  " : std::string()) +
                     pad("from", w.version_from) + "  " + pad("to", w.version_to) + "  result\n";
  for (const auto& row : rows) {
    text += pad(row.label(), w.device) + "  " + (buses ? pad(row.bus, w.bus) + "  " : std::string()) +
            pad(or_dash(row.from), w.version_from) + "  " + pad(or_dash(row.to), w.version_to) + "  " +
            result_text(row) + "\n";
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

std::vector<std::string> live_table(const std::vector<ModuleOutcome>& rows, std::size_t max_lines) {
  max_lines = std::max<std::size_t>(max_lines, 4);
  const Widths w = widths(rows);
  const bool buses = has_buses(rows);
  const auto line = [&](const ModuleOutcome& row) {
    return pad(row.label(), w.device) + "  " + (buses ? pad(row.bus, w.bus) + "  " : std::string()) +
           pad(or_dash(row.from), w.version_from) + "  " + pad(or_dash(row.to), w.version_to) + "  " +
           progress_cell(row) + "  " + result_text(row);
  };
  std::vector<std::string> lines;
  lines.push_back(counts_line(rows));
  lines.push_back(pad("device", w.device) + "  " + (buses ? pad("bus", w.bus) + "  " : std::string()) +
                  pad("from", w.version_from) + "  " + pad("to", w.version_to) + "  " + pad("progress", kBarWidth + 7) +
                  "  state");
  if (rows.size() + lines.size() <= max_lines) {
    for (const auto& row : rows) lines.push_back(line(row));
    return lines;
  }
  std::vector<const ModuleOutcome*> running;
  for (const auto& row : rows) {
    if (is_running(row.phase)) running.push_back(&row);
  }
  const std::size_t room = max_lines - lines.size();
  const std::size_t shown = running.size() <= room ? running.size() : room - 1;
  for (std::size_t i = 0; i < shown; ++i) lines.push_back(line(*running[i]));
  if (shown < running.size()) lines.push_back("... and " + std::to_string(running.size() - shown) + " more running");
  return lines;
}

void StatusTable::draw_live(const std::vector<ModuleOutcome>& rows) {
  const winsize size = terminal_size(out_);
  // One line spare: the cursor sits below the table.
  const std::size_t height = max_lines_ != 0 ? max_lines_ : size.ws_row > 1 ? size.ws_row - 1U : 24;
  std::vector<std::string> lines = live_table(rows, height);
  // A wrapped line would throw the cursor arithmetic off: cut to the width.
  if (const unsigned width = size.ws_col; width > 1) {
    for (auto& line : lines) {
      if (line.size() >= width) line.resize(width - 1);
    }
  }
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  if (text == drawn_) return;
  std::string frame;
  // Back to the first line of the previous drawing, then overwrite it and
  // clear what is left below (the table may have shrunk).
  if (lines_ > 0) frame += "\x1b[" + std::to_string(lines_) + "F";
  for (const auto& line : lines) frame += "\x1b[2K" + line + "\n";
  frame += "\x1b[J";
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
        line = "offered " + or_dash(row.from) + " -> " + row.to + (row.bus == kDefaultBus ? "" : " (bus " + row.bus + ")");
        break;
      case Phase::downloading:
        key = "downloading " + std::to_string(row.progress / 25);
        line = "downloading " + std::to_string(row.progress / 25 * 25) + "%";
        break;
      case Phase::flashing:
        key = "flashing";
        line = "downloaded, flashing" + on_bus(row);
        break;
      case Phase::bus_wait:
        key = "bus wait";
        line = "downloaded, waiting for its bus" + on_bus(row, " ");
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
