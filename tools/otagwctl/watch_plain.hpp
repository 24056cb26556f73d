#pragma once
// `otagwctl status --watch` when stdout is no terminal (a log, a pipe): one
// line per change, for people reading it later. Progress is told in steps of
// 10 %, not at every event; the caller puts the time in front of each line.
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "tools/otagwctl/status_view.hpp"
#include "tools/otagwctl/text_cells.hpp"

namespace otagw::ctl {

class PlainWatch {
 public:
  explicit PlainWatch(TimeZone zone) : zone_(zone) {}

  // The lines when watching starts: the daemon and its connection, the pass,
  // and each sub-device that is not idle.
  [[nodiscard]] std::vector<std::string> start(const StatusView& status);

  // The lines one event is worth; none when nothing a person would note
  // changed (progress within the same 10 % step, a repeated state).
  [[nodiscard]] std::vector<std::string> event(const WatchEvent& event);

 private:
  [[nodiscard]] std::vector<std::string> device_lines(const DeviceRow& row);

  TimeZone zone_;
  std::map<std::string, std::string> said_;  // per sub-device and module: what its last line told
  std::string pass_said_;
  std::string connection_said_;
};

// "2026-12-07 16:02:14 " + `line`.
[[nodiscard]] std::string with_time(std::chrono::system_clock::time_point now, TimeZone zone, const std::string& line);

}  // namespace otagw::ctl
