#pragma once
// The run's progress for people: a table redrawn in place on a terminal
// (live), or one plain line per change otherwise (logs, CI), and the final
// table device / from / to / result.
//
// The live table is a line of counts, then device / bus / from / to /
// progress / state per row: every row while they fit the terminal, else the
// running jobs only (each with its own progress, side by side), so a
// campaign of thousands still shows what is going on now.
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/cloudsim/outcome.hpp"

namespace otagw::cloudsim {

enum class TableMode { off, plain, live };

// "auto" (live when `out` is a terminal, else plain), "live", "plain", "off";
// nullopt for anything else.
[[nodiscard]] std::optional<TableMode> parse_table_mode(std::string_view text, std::FILE* out);

// "upgraded", "up to date", "failed -3 (verification failed)", "downloading", ...
[[nodiscard]] std::string result_text(const ModuleOutcome& outcome);

// The final table: a header and one line per row, columns device / from / to
// / result (and bus after device when some device has a bus of its own).
[[nodiscard]] std::string final_table(const std::vector<ModuleOutcome>& rows);

// The lines of one live drawing, at most `max_lines` (at least 4) of them:
// the counts, the header, then every row when they fit, else the running
// rows (scenario order) and "... and N more running" when even those do not.
// The bus column only when some device has a bus of its own.
[[nodiscard]] std::vector<std::string> live_table(const std::vector<ModuleOutcome>& rows, std::size_t max_lines);

class StatusTable {
 public:
  // max_lines: the live table's height; 0 = the terminal's (24 when unknown).
  StatusTable(TableMode mode, std::FILE* out, std::size_t max_lines = 0)
      : mode_(mode), out_(out), max_lines_(max_lines) {}

  // Live: redraws when anything changed. Plain: prints a line per row whose
  // state changed (progress in steps of 25 %).
  void update(const std::vector<ModuleOutcome>& rows);

  // Live: leaves the last drawing as it is; the next output starts below it.
  void finish(const std::vector<ModuleOutcome>& rows);

 private:
  void draw_live(const std::vector<ModuleOutcome>& rows);
  void print_changes(const std::vector<ModuleOutcome>& rows);

  TableMode mode_;
  std::FILE* out_;
  std::size_t max_lines_;
  std::string drawn_;       // live: what is on the screen
  std::size_t lines_ = 0;   // live: how many lines of it
  std::map<std::string, std::string> said_;  // plain: the last line's key per row
};

}  // namespace otagw::cloudsim
