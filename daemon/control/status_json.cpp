#include "daemon/control/status_json.hpp"

#include <ctime>

#include "daemon/control/control_request.hpp"

namespace otagw::daemon {
namespace {

nlohmann::json text_or_null(const std::string& text) { return text.empty() ? nlohmann::json() : nlohmann::json(text); }

nlohmann::json percent_or_null(int percent) { return percent < 0 ? nlohmann::json() : nlohmann::json(percent); }

}  // namespace

nlohmann::json time_json(std::int64_t wall_ms) {
  if (wall_ms <= 0) return nullptr;
  const std::time_t seconds = static_cast<std::time_t>(wall_ms / 1000);
  std::tm utc{};
  if (::gmtime_r(&seconds, &utc) == nullptr) return nullptr;
  char text[32];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return n == 0 ? nlohmann::json() : nlohmann::json(std::string(text, n));
}

nlohmann::json row_json(const subdev::ModuleStatus& row) {
  return {{"product_key", row.product_key},
          {"device_name", row.device_name},
          {"module", row.module},
          {"version", text_or_null(row.version)},
          {"state", std::string(to_string(row.state))},
          {"progress", percent_or_null(row.progress)},
          {"flash_progress", percent_or_null(row.flash_progress)},
          {"target_version", text_or_null(row.target_version)},
          {"waiting_for", text_or_null(row.waiting_for)},
          {"last_check", time_json(row.last_check_ms)},
          {"last_result", text_or_null(row.last_result)},
          {"error", text_or_null(row.error)}};
}

nlohmann::json pass_json(const subdev::PassStatus& pass) {
  return {{"running", pass.running},
          {"number", pass.number},
          {"started", time_json(pass.started_ms)},
          {"ended", time_json(pass.ended_ms)},
          {"devices", pass.devices},
          {"visited", pass.visited},
          {"next", pass.running ? nlohmann::json() : time_json(pass.next_ms)},
          {"last_summary", text_or_null(pass.last_summary)}};
}

nlohmann::json connection_json(const subdev::ConnectionStatus& connection) {
  return {{"state", connection.state},
          {"broker", connection.broker},
          {"since", time_json(connection.since_ms)},
          {"detail", text_or_null(connection.detail)}};
}

nlohmann::json status_json(const subdev::FleetStatus& fleet, const DaemonInfo& daemon) {
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& row : fleet.rows()) devices.push_back(row_json(row));
  return {{"daemon",
           {{"version", daemon.version},
            {"pid", daemon.pid},
            {"config", daemon.config_file.string()},
            {"started", time_json(daemon.started_ms)}}},
          {"connection", connection_json(fleet.connection())},
          {"pass", pass_json(fleet.pass())},
          {"devices", std::move(devices)}};
}

std::string json_line(const nlohmann::json& value) {
  std::string line = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line += '\n';
  return line;
}

std::string event_line(const subdev::StatusEvent& event) {
  nlohmann::json out = {{"v", kControlProtocolVersion}};
  using Kind = subdev::StatusEvent::Kind;
  switch (event.kind) {
    case Kind::device:
      out["event"] = "device";
      out["device"] = row_json(*event.row);
      break;
    case Kind::device_removed:
      out["event"] = "device_removed";
      out["product_key"] = event.row->product_key;
      out["device_name"] = event.row->device_name;
      out["module"] = event.row->module;
      break;
    case Kind::pass:
      out["event"] = "pass";
      out["pass"] = pass_json(*event.pass);
      break;
    case Kind::connection:
      out["event"] = "connection";
      out["connection"] = connection_json(*event.connection);
      break;
  }
  return json_line(out);
}

}  // namespace otagw::daemon
