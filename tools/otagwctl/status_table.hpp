#pragma once
// `otagwctl status`: the daemon and its connection, the pass, then a table
// with one row per sub-device and module (device, module, version, state,
// progress, last check, last result), columns aligned, long values cut. The
// module column is left out when every row is a default module.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "tools/otagwctl/status_view.hpp"
#include "tools/otagwctl/text_cells.hpp"

namespace otagw::ctl {

struct TableOptions {
  // The terminal's columns: the table is fitted to them (the device column
  // cut down to 20, the last result to what is left, at least 16).
  // 0 (not a terminal): every column keeps its own limit only.
  std::size_t width = 0;
  TimeZone zone = TimeZone::local;
  // Last checks of this day show the time only.
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

// The table's columns, in order.
namespace column {
enum : std::size_t { device, module, version, state, progress, last_check, last_result, count };
}

[[nodiscard]] std::vector<std::string> table_header();
// One string per column, each cut to its column's limit.
[[nodiscard]] std::vector<std::string> table_cells(const DeviceRow& row, const TableOptions& options);

// `rows` (header first) as aligned lines. With a `width`, the first column
// (the device, cut at its front) gives up to its width beyond 20 and the last column is cut to what is left
// of a line (at least 16 columns), so a line stays shorter than `width`
// unless the other columns alone are too wide.
[[nodiscard]] std::vector<std::string> align_columns(std::vector<std::vector<std::string>> rows, std::size_t width);

// Removes column `index` from every row.
void drop_column(std::vector<std::vector<std::string>>& rows, std::size_t index);

// The whole `otagwctl status` output, ending in a newline.
[[nodiscard]] std::string render_status(const StatusView& status, const TableOptions& options);

}  // namespace otagw::ctl
