#include "tools/otagwctl/status_table.hpp"

#include <algorithm>
#include <cstdint>

#include "tools/otagwctl/status_phrases.hpp"

namespace otagw::ctl {
namespace {

// The widest a value gets, per column. A PK/DN is at most 20 + 1 + 32; cut
// at 40 the name's end still shows which device it is in most fleets.
constexpr std::size_t kLimits[column::count] = {40, 16, 16, 11, 24, 16, 80};
constexpr std::size_t kSeparator = 2;
constexpr std::size_t kMinFirstColumn = 20;
constexpr std::size_t kMinLastColumn = 16;

}  // namespace

std::vector<std::string> table_header() {
  return {"device", "module", "version", "state", "progress", "last check", "last result"};
}

std::vector<std::string> table_cells(const DeviceRow& row, const TableOptions& options) {
  std::vector<std::string> cells(column::count);
  cells[column::device] = printable(row.label());
  cells[column::module] = module_phrase(row);
  cells[column::version] = printable(row.version.empty() ? "-" : row.version);
  cells[column::state] = printable(row.state_text());
  cells[column::progress] = progress_phrase(row);
  cells[column::last_check] = format_recent(row.last_check, options.zone, options.now);
  cells[column::last_result] = result_phrase(row);
  for (std::size_t i = 0; i < column::count; ++i) {
    cells[i] = i == column::device ? cut_front(cells[i], kLimits[i]) : cut(cells[i], kLimits[i]);
  }
  return cells;
}

void drop_column(std::vector<std::vector<std::string>>& rows, std::size_t index) {
  for (auto& row : rows) {
    if (index < row.size()) row.erase(row.begin() + static_cast<std::ptrdiff_t>(index));
  }
}

std::vector<std::string> align_columns(std::vector<std::vector<std::string>> rows, std::size_t width) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], display_width(row[i]));
  }
  if (widths.empty()) return {};
  std::size_t before_last = 0;
  for (std::size_t i = 0; i + 1 < widths.size(); ++i) before_last += widths[i] + kSeparator;

  std::size_t last_limit = SIZE_MAX;
  if (width > 0) {
    const std::size_t room = width - 1;  // a line as wide as the terminal would wrap
    // Too wide: the first column (the device) gives up what it has beyond its minimum.
    if (widths.size() > 1 && before_last + kMinLastColumn > room && widths[0] > kMinFirstColumn) {
      const std::size_t excess = before_last + kMinLastColumn - room;
      const std::size_t give = std::min(excess, widths[0] - kMinFirstColumn);
      widths[0] -= give;
      before_last -= give;
      for (auto& row : rows) row[0] = cut_front(row[0], widths[0]);
    }
    last_limit = std::max(kMinLastColumn, room > before_last ? room - before_last : 0);
  }

  std::vector<std::string> lines;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += i + 1 == widths.size() ? cut(row[i], last_limit) : pad(row[i], widths[i] + kSeparator);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    // Columns before the last may still not fit (times of another day take
    // their date along, 19 columns instead of 8): the line is cut, never
    // wrapped.
    if (width > 0) line = cut(line, width - 1);
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string render_status(const StatusView& status, const TableOptions& options) {
  // A line of the terminal's width would wrap: cut one column earlier.
  const std::size_t header_limit = options.width > 1 ? options.width - 1 : SIZE_MAX;
  std::string text =
      cut(daemon_phrase(status.daemon) + ": " + connection_phrase(status.connection, options.zone), header_limit) +
      "\n";
  text += cut(pass_phrase(status.pass, options.zone), header_limit) + "\n\n";
  if (status.devices.empty()) return text + "no sub-devices in the configuration\n";
  std::vector<std::vector<std::string>> rows = {table_header()};
  for (const auto& row : status.devices) rows.push_back(table_cells(row, options));
  const bool modules = std::any_of(status.devices.begin(), status.devices.end(),
                                   [](const DeviceRow& row) { return !row.module.empty(); });
  if (!modules) drop_column(rows, column::module);
  for (const auto& line : align_columns(std::move(rows), options.width)) text += line + "\n";
  return text;
}

}  // namespace otagw::ctl
