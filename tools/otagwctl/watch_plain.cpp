#include "tools/otagwctl/watch_plain.hpp"

#include "tools/otagwctl/status_phrases.hpp"

namespace otagw::ctl {
namespace {

std::string row_key(const DeviceRow& row) { return row.product_key + "/" + row.device_name + "\n" + row.module; }

std::string row_label(const DeviceRow& row) {
  std::string label = printable(row.label());
  if (!row.module.empty()) label += " (" + printable(row.module) + ")";
  return label;
}

std::optional<int> shown_percent(const DeviceRow& row) {
  if (row.state == "flashing") return row.flash_progress;
  if (row.state == "downloading" || row.state == "verifying") return row.progress;
  return std::nullopt;
}

// What a line about `row` says; a line that says the same as the last one is no news.
std::string describe(const DeviceRow& row) {
  const std::optional<int> percent = shown_percent(row);
  std::string text;
  if (row.state == "idle") {
    text = "idle at " + printable(row.version.empty() ? "?" : row.version);
    if (row.last_result || row.error) text += ", last result " + result_phrase(row);
  } else {
    text = printable(row.state_text());
    if (row.target_version) text += " " + printable(*row.target_version);
    // In steps of 10 %: a log line per step, not per event.
    if (percent) text += ": " + std::to_string(*percent / 10 * 10) + "%";
    if (row.error) text += " (error: " + printable(*row.error) + ")";
  }
  return row_label(row) + ": " + text;
}

std::string pass_key(const PassView& pass) {
  return std::to_string(pass.number.value_or(0)) + (pass.running ? " running" : " ended");
}

std::string connection_key(const ConnectionView& connection) {
  return connection.state + "\n" + connection.detail.value_or("");
}

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + printable(name);
  return text;
}

}  // namespace

std::vector<std::string> PlainWatch::start(const StatusView& status) {
  std::vector<std::string> lines;
  connection_said_ = connection_key(status.connection);
  pass_said_ = pass_key(status.pass);
  lines.push_back("watching " + daemon_phrase(status.daemon) + ": " + connection_phrase(status.connection, zone_));
  lines.push_back(pass_phrase(status.pass, zone_));
  for (const auto& row : status.devices) {
    std::string text = describe(row);
    said_[row_key(row)] = text;
    if (row.state != "idle") lines.push_back(std::move(text));
  }
  return lines;
}

std::vector<std::string> PlainWatch::device_lines(const DeviceRow& row) {
  std::string text = describe(row);
  std::string& said = said_[row_key(row)];
  if (said == text) return {};
  said = text;
  return {std::move(text)};
}

std::vector<std::string> PlainWatch::event(const WatchEvent& event) {
  switch (event.kind) {
    case WatchEvent::Kind::device: return device_lines(event.device);
    case WatchEvent::Kind::device_removed:
      said_.erase(row_key(event.device));
      return {row_label(event.device) + ": removed from the configuration"};
    case WatchEvent::Kind::pass: {
      const PassView& pass = event.pass;
      const std::string number = pass.number ? " " + std::to_string(*pass.number) : "";
      std::string key = pass_key(pass);
      if (key == pass_said_) return {};
      pass_said_ = std::move(key);
      if (pass.running) {
        return {"pass" + number + " started" +
                (pass.devices ? ": " + std::to_string(*pass.devices) + " sub-devices" : std::string())};
      }
      return {pass_phrase(pass, zone_)};
    }
    case WatchEvent::Kind::connection: {
      std::string key = connection_key(event.connection);
      if (key == connection_said_) return {};
      connection_said_ = std::move(key);
      return {connection_phrase(event.connection, zone_)};
    }
    case WatchEvent::Kind::reload: {
      const ReloadView& reload = event.reload;
      if (!reload.ok) {
        std::vector<std::string> lines = {"reload refused; the old configuration stays:"};
        for (const auto& error : reload.errors) lines.push_back("  " + printable(error));
        return lines;
      }
      std::string text = "reload applied";
      std::string parts;
      if (!reload.added.empty()) parts += "; added " + joined(reload.added);
      if (!reload.removed.empty()) parts += "; removed " + joined(reload.removed);
      if (!reload.updated.empty()) parts += "; updated " + joined(reload.updated);
      return {text + (parts.empty() ? ": no sub-device added, removed or changed" : parts)};
    }
    case WatchEvent::Kind::other: break;
  }
  return {};
}

std::string with_time(std::chrono::system_clock::time_point now, TimeZone zone, const std::string& line) {
  return format_time(now, zone) + " " + line;
}

}  // namespace otagw::ctl
