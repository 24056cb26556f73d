#pragma once
// The run's progress for people: a table device / from / to / progress /
// result redrawn in place on a terminal (live), or one plain line per change
// otherwise (logs, CI), and the final table device / from / to / result.
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

// The final table: a header and one line per row, columns device / from / to / result.
[[nodiscard]] std::string final_table(const std::vector<ModuleOutcome>& rows);

class StatusTable {
 public:
  StatusTable(TableMode mode, std::FILE* out) : mode_(mode), out_(out) {}

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
  std::string drawn_;       // live: what is on the screen
  std::size_t lines_ = 0;   // live: how many lines of it
  std::map<std::string, std::string> said_;  // plain: the last line's key per row
};

}  // namespace otagw::cloudsim
