#include "tools/otagwctl/watch_live.hpp"

#include <algorithm>

#include "tools/otagwctl/status_phrases.hpp"
#include "tools/otagwctl/status_table.hpp"

namespace otagw::ctl {
namespace {

// A job's line: label, kind ("download "/"flash    "), bar, percentage, versions.
constexpr std::size_t kKindWidth = 9;
constexpr std::size_t kPercentWidth = 5;  // " 100%"
constexpr std::size_t kMinBar = 12;
constexpr std::size_t kMaxBar = 32;
constexpr std::size_t kJobLabelLimit = 40;
constexpr std::size_t kMinJobLabel = 16;

std::string job_label(const DeviceRow& row) {
  std::string label = printable(row.label());
  if (!row.module.empty()) label += " (" + printable(row.module) + ")";
  return label;
}

// "download [#####-----]  42%", "flash    [##--------]  17%", or the state.
std::string job_middle(const DeviceRow& row, std::size_t bar_width) {
  std::optional<int> percent;
  std::string kind;
  if (row.state == "flashing" && row.flash_progress) {
    kind = "flash";
    percent = row.flash_progress;
  } else if ((row.state == "downloading" || row.state == "verifying") && row.progress) {
    kind = row.state == "verifying" ? "verify" : "download";
    percent = row.progress;
  }
  if (!percent) return pad(printable(row.state_text()), kKindWidth + bar_width + kPercentWidth);
  return pad(kind, kKindWidth) + progress_bar(*percent, bar_width) +
         pad_left(std::to_string(*percent) + "%", kPercentWidth);
}

std::string job_versions(const DeviceRow& row) {
  return printable(row.version.empty() ? "?" : row.version) + " -> " + printable(row.target_version.value_or("?"));
}

// The job lines, sized to `columns`: the bar takes what the labels and
// versions leave (12..32), a label gives way down to 16 on a narrow terminal.
std::vector<std::string> job_lines(const std::vector<const DeviceRow*>& jobs, std::size_t columns) {
  std::size_t label_width = 0;
  std::size_t versions_width = 0;
  for (const auto* job : jobs) {
    label_width = std::max(label_width, std::min(kJobLabelLimit, display_width(job_label(*job))));
    versions_width = std::max(versions_width, display_width(job_versions(*job)));
  }
  const std::size_t room = columns > 1 ? columns - 1 : 1;
  const std::size_t fixed = 2 + kKindWidth + kPercentWidth + 2 + versions_width;
  std::size_t bar = room > fixed + label_width ? room - fixed - label_width : 0;
  if (bar < kMinBar) {
    const std::size_t missing = kMinBar - bar;
    label_width = std::max(kMinJobLabel, label_width > missing ? label_width - missing : 0);
    bar = kMinBar;
  }
  bar = std::min(bar, kMaxBar);
  std::vector<std::string> lines;
  for (const auto* job : jobs) {
    lines.push_back(pad(cut_front(job_label(*job), label_width), label_width + 2) + job_middle(*job, bar) + "  " +
                    job_versions(*job));
  }
  return lines;
}

std::string more_line(std::size_t count, const char* what) {
  return "... and " + std::to_string(count) + " more " + what;
}

}  // namespace

std::vector<std::string> live_frame(const StatusView& status, TerminalSize size, TimeZone zone,
                                    std::chrono::system_clock::time_point now) {
  const std::size_t max_lines = size.rows > 1 ? size.rows - 1 : 1;
  std::vector<std::string> lines;
  lines.push_back(daemon_phrase(status.daemon) + ": " + connection_phrase(status.connection, zone));
  lines.push_back(pass_phrase(status.pass, zone));

  std::vector<const DeviceRow*> jobs;
  std::vector<const DeviceRow*> rest;
  for (const auto& row : status.devices) (row.job_in_flight() ? jobs : rest).push_back(&row);

  if (!jobs.empty() && lines.size() + 2 <= max_lines) {
    lines.emplace_back();
    // Room for the jobs: the rest of the screen; the last line tells what is left out.
    const std::size_t room = max_lines - lines.size();
    const std::size_t shown = jobs.size() <= room ? jobs.size() : room - 1;
    const std::vector<const DeviceRow*> shown_jobs(jobs.begin(), jobs.begin() + static_cast<std::ptrdiff_t>(shown));
    for (auto& line : job_lines(shown_jobs, size.columns)) lines.push_back(std::move(line));
    if (shown < jobs.size()) lines.push_back(more_line(jobs.size() - shown, "jobs in flight"));
  }

  // The others: a table without the progress column (the jobs above have it),
  // and without the module column when every row is a default module.
  const bool modules = std::any_of(rest.begin(), rest.end(), [](const DeviceRow* row) { return !row->module.empty(); });
  if (!rest.empty() && lines.size() + 3 <= max_lines) {
    lines.emplace_back();
    const std::size_t room = max_lines - lines.size() - 1;  // minus the table's header
    const std::size_t shown = rest.size() <= room ? rest.size() : room - 1;
    const TableOptions options{size.columns, zone, now};
    std::vector<std::vector<std::string>> table = {table_header()};
    for (std::size_t i = 0; i < shown; ++i) table.push_back(table_cells(*rest[i], options));
    drop_column(table, column::progress);
    if (!modules) drop_column(table, column::module);
    for (auto& line : align_columns(std::move(table), size.columns)) lines.push_back(std::move(line));
    if (shown < rest.size()) lines.push_back(more_line(rest.size() - shown, "sub-devices"));
  } else if (!rest.empty() && lines.size() < max_lines) {
    lines.push_back(more_line(rest.size(), "sub-devices"));
  }

  if (lines.size() > max_lines) lines.resize(max_lines);
  const std::size_t limit = size.columns > 1 ? size.columns - 1 : 1;
  for (auto& line : lines) line = cut(line, limit);
  return lines;
}

std::string LiveScreen::draw(const std::vector<std::string>& lines) {
  if (lines == drawn_ && !clear_screen_) return {};
  std::string out;
  if (clear_screen_) {
    out += "\x1b[H\x1b[2J";  // home, clear the screen
  } else if (!drawn_.empty()) {
    out += "\x1b[" + std::to_string(drawn_.size()) + "F";  // to the first column of the frame's first line
  }
  // Each line overwritten, then the rest of it cleared: no blank flash.
  for (const auto& line : lines) out += line + "\x1b[K\n";
  out += "\x1b[J";  // what a longer previous frame left below
  drawn_ = lines;
  clear_screen_ = false;
  return out;
}

}  // namespace otagw::ctl
