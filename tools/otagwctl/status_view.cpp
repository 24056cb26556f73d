#include "tools/otagwctl/status_view.hpp"

#include <algorithm>

namespace otagw::ctl {
namespace {

using nlohmann::json;

const json& field(const json& object, const char* key) {
  static const json null_value;
  if (!object.is_object()) return null_value;
  const auto it = object.find(key);
  return it == object.end() ? null_value : *it;
}

std::string text(const json& object, const char* key) {
  const json& value = field(object, key);
  return value.is_string() ? value.get<std::string>() : std::string();
}

std::optional<std::string> optional_text(const json& object, const char* key) {
  const json& value = field(object, key);
  if (value.is_string()) return value.get<std::string>();
  return std::nullopt;
}

std::optional<std::int64_t> optional_integer(const json& object, const char* key) {
  const json& value = field(object, key);
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_number_float()) return static_cast<std::int64_t>(value.get<double>());
  return std::nullopt;
}

std::optional<int> optional_percent(const json& object, const char* key) {
  const auto value = optional_integer(object, key);
  if (!value) return std::nullopt;
  return static_cast<int>(std::clamp<std::int64_t>(*value, 0, 100));
}

std::vector<std::string> texts(const json& object, const char* key) {
  std::vector<std::string> out;
  const json& value = field(object, key);
  if (!value.is_array()) return out;
  for (const auto& item : value) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace

bool DeviceRow::job_in_flight() const {
  return state == "downloading" || state == "verifying" || state == "waiting" || state == "flashing" ||
         state == "confirming" || (state == "reporting" && target_version.has_value());
}

DeviceRow parse_device(const json& row) {
  DeviceRow device;
  device.product_key = text(row, "product_key");
  device.device_name = text(row, "device_name");
  device.module = text(row, "module");
  device.version = text(row, "version");
  device.state = text(row, "state");
  device.progress = optional_percent(row, "progress");
  device.flash_progress = optional_percent(row, "flash_progress");
  device.target_version = optional_text(row, "target_version");
  device.waiting_for = optional_text(row, "waiting_for");
  device.last_check = optional_text(row, "last_check");
  device.last_result = optional_text(row, "last_result");
  device.error = optional_text(row, "error");
  return device;
}

PassView parse_pass(const json& pass) {
  PassView view;
  const json& running = field(pass, "running");
  view.running = running.is_boolean() && running.get<bool>();
  view.number = optional_integer(pass, "number");
  view.started = optional_text(pass, "started");
  view.ended = optional_text(pass, "ended");
  view.next = optional_text(pass, "next");
  view.devices = optional_integer(pass, "devices");
  view.visited = optional_integer(pass, "visited");
  view.last_summary = optional_text(pass, "last_summary");
  return view;
}

ConnectionView parse_connection(const json& connection) {
  ConnectionView view;
  view.state = text(connection, "state");
  view.broker = text(connection, "broker");
  view.since = optional_text(connection, "since");
  view.detail = optional_text(connection, "detail");
  return view;
}

tl::expected<StatusView, std::string> parse_status(const json& status) {
  if (!status.is_object()) return tl::unexpected(std::string("the status is not a JSON object"));
  StatusView view;
  const json& daemon = field(status, "daemon");
  view.daemon.version = text(daemon, "version");
  view.daemon.pid = optional_integer(daemon, "pid");
  view.daemon.config = text(daemon, "config");
  view.daemon.started = optional_text(daemon, "started");
  view.connection = parse_connection(field(status, "connection"));
  view.pass = parse_pass(field(status, "pass"));
  const json& devices = field(status, "devices");
  if (devices.is_array()) {
    for (const auto& row : devices) view.devices.push_back(parse_device(row));
  }
  return view;
}

WatchEvent parse_event(const json& line) {
  WatchEvent event;
  event.name = text(line, "event");
  if (event.name == "device") {
    event.kind = WatchEvent::Kind::device;
    event.device = parse_device(field(line, "device"));
  } else if (event.name == "device_removed") {
    event.kind = WatchEvent::Kind::device_removed;
    event.device = parse_device(line);  // product_key, device_name, module at the top
  } else if (event.name == "pass") {
    event.kind = WatchEvent::Kind::pass;
    event.pass = parse_pass(field(line, "pass"));
  } else if (event.name == "connection") {
    event.kind = WatchEvent::Kind::connection;
    event.connection = parse_connection(field(line, "connection"));
  } else if (event.name == "reload") {
    event.kind = WatchEvent::Kind::reload;
    const json& ok = field(line, "ok");
    event.reload.ok = ok.is_boolean() && ok.get<bool>();
    event.reload.added = texts(line, "added");
    event.reload.removed = texts(line, "removed");
    event.reload.updated = texts(line, "updated");
    event.reload.errors = texts(line, "errors");
  }
  return event;
}

void apply_event(StatusView& status, const WatchEvent& event) {
  auto& rows = status.devices;
  switch (event.kind) {
    case WatchEvent::Kind::device: {
      const auto it = std::find_if(rows.begin(), rows.end(),
                                   [&](const DeviceRow& row) { return row.same_row(event.device); });
      if (it == rows.end()) {
        rows.push_back(event.device);
      } else {
        *it = event.device;
      }
      break;
    }
    case WatchEvent::Kind::device_removed:
      std::erase_if(rows, [&](const DeviceRow& row) { return row.same_row(event.device); });
      break;
    case WatchEvent::Kind::pass: status.pass = event.pass; break;
    case WatchEvent::Kind::connection: status.connection = event.connection; break;
    case WatchEvent::Kind::reload:
    case WatchEvent::Kind::other: break;
  }
}

}  // namespace otagw::ctl
