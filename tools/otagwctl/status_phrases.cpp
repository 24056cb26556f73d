#include "tools/otagwctl/status_phrases.hpp"

namespace otagw::ctl {

std::string daemon_phrase(const DaemonView& daemon) {
  std::string text = "otagwd";
  if (!daemon.version.empty()) text += " " + printable(daemon.version);
  if (daemon.pid) text += " (pid " + std::to_string(*daemon.pid) + ")";
  return text;
}

std::string connection_phrase(const ConnectionView& connection, TimeZone zone) {
  const std::string broker = connection.broker.empty() ? "the broker" : printable(connection.broker);
  const std::string detail = connection.detail ? " (" + printable(*connection.detail) + ")" : "";
  if (connection.state == "connected") {
    return "connected to " + broker + (connection.since ? " since " + format_time(connection.since, zone) : "");
  }
  if (connection.state == "connecting") return "connecting to " + broker + detail;
  if (connection.state == "refused") return "sign-in refused by " + broker + detail + ", retrying";
  if (connection.state == "stopped") return "connection stopped" + detail;
  return "connection " + (connection.state.empty() ? "unknown" : printable(connection.state)) + detail;
}

std::string pass_phrase(const PassView& pass, TimeZone zone) {
  const std::string number = pass.number ? " " + std::to_string(*pass.number) : "";
  if (pass.running) {
    std::string text = "pass" + number + " running";
    if (pass.started) text += " since " + format_time(pass.started, zone);
    if (pass.visited && pass.devices) {
      text += ": " + std::to_string(*pass.visited) + " of " + std::to_string(*pass.devices) + " visited";
    }
    return text;
  }
  std::string text;
  if (!pass.number || *pass.number == 0 || !pass.ended) {
    text = "no pass yet";
  } else {
    text = "pass" + number + " ended " + format_time(pass.ended, zone);
    if (pass.last_summary) text += ": " + printable(*pass.last_summary);
  }
  if (pass.next) text += "; next " + format_time(pass.next, zone);
  return text;
}

std::string module_phrase(const DeviceRow& row) { return row.module.empty() ? "-" : printable(row.module); }

std::string progress_phrase(const DeviceRow& row) {
  // The state column says whether it downloads or flashes.
  std::string text;
  if (row.flash_progress) {
    text = std::to_string(*row.flash_progress) + "%";
  } else if (row.progress) {
    text = std::to_string(*row.progress) + "%";
  }
  if (row.target_version) text += (text.empty() ? "-> " : " -> ") + printable(*row.target_version);
  return text.empty() ? "-" : text;
}

std::string result_phrase(const DeviceRow& row) {
  std::string text = row.last_result ? printable(*row.last_result) : "-";
  if (row.error) text += ": " + printable(*row.error);
  return text;
}

}  // namespace otagw::ctl
