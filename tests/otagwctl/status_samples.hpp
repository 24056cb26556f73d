#pragma once
// Status objects and events as otagwd sends them (docs/control.md), for the
// renderer tests and the fake daemon.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace otagw::ctl_test {

struct RowSpec {
  explicit RowSpec(std::string name, std::string state_now = "idle")
      : device_name(std::move(name)), state(std::move(state_now)) {}

  std::string device_name;
  std::string state;
  std::string version = "1.0.0";
  std::optional<int> progress;
  std::optional<int> flash_progress;
  std::optional<std::string> target;
  std::optional<std::string> last_check = "2026-12-07T15:02:14Z";
  std::optional<std::string> last_result = "up_to_date";
  std::optional<std::string> error;
  std::string module;
  std::string product_key = "a1B2c3D4e5F";
};

inline nlohmann::json device_row(const RowSpec& spec) {
  auto value = [](const auto& optional) -> nlohmann::json {
    if (optional) return *optional;
    return nullptr;
  };
  return {{"product_key", spec.product_key},     {"device_name", spec.device_name},
          {"module", spec.module},               {"version", spec.version},
          {"state", spec.state},                 {"progress", value(spec.progress)},
          {"flash_progress", value(spec.flash_progress)}, {"target_version", value(spec.target)},
          {"last_check", value(spec.last_check)}, {"last_result", value(spec.last_result)},
          {"error", value(spec.error)}};
}

inline nlohmann::json connection_object(const std::string& state = "connected") {
  return {{"state", state},
          {"broker", "a1Gw.iot-as-mqtt.cn-shanghai.aliyuncs.com:443"},
          {"since", "2026-12-07T15:02:12Z"},
          {"detail", nullptr}};
}

inline nlohmann::json pass_object(bool running, int number = 3) {
  return {{"running", running},
          {"number", number},
          {"started", "2026-12-07T16:02:12Z"},
          {"ended", running ? nlohmann::json(nullptr) : nlohmann::json("2026-12-07T16:05:40Z")},
          {"devices", 3},
          {"visited", running ? 1 : 3},
          {"next", running ? nlohmann::json(nullptr) : nlohmann::json("2026-12-07T17:02:12Z")},
          {"last_summary", "3 visited, 2 up to date, 1 installed"}};
}

// The example of docs/control.md, three rows: one downloading, one
// flashing, one idle after a failure.
inline nlohmann::json sample_status() {
  nlohmann::json devices = nlohmann::json::array();
  RowSpec downloading{"sub-0001", "downloading"};
  downloading.progress = 42;
  downloading.target = "1.1.0";
  downloading.last_result = "offer 1.1.0 installed";
  devices.push_back(device_row(downloading));
  RowSpec flashing{"sub-0002", "flashing"};
  flashing.version = "2.0.0";
  flashing.flash_progress = 17;
  flashing.target = "2.1.0";
  flashing.module = "mcu";
  devices.push_back(device_row(flashing));
  RowSpec failed{"sub-0003"};
  failed.last_result = "offer 1.2.0 failed";
  failed.error = "download failed: HTTP 404";
  failed.last_check = std::nullopt;
  devices.push_back(device_row(failed));
  return {{"daemon",
           {{"version", "0.4.0"},
            {"pid", 812},
            {"config", "/etc/otagw/gateway.yaml"},
            {"started", "2026-12-07T15:02:11Z"}}},
          {"connection", connection_object()},
          {"pass", pass_object(true)},
          {"devices", devices}};
}

inline std::string answer_line(const std::string& cmd, nlohmann::json fields) {
  nlohmann::ordered_json answer = {{"v", 1}, {"ok", true}, {"cmd", cmd}};
  for (auto& [key, value] : fields.items()) answer[key] = value;
  return answer.dump();
}

inline std::string error_line(const std::string& cmd, const std::string& code, const std::string& message,
                              nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::ordered_json error = {{"code", code}, {"message", message}};
  for (auto& [key, value] : extra.items()) error[key] = value;
  return nlohmann::ordered_json{{"v", 1}, {"ok", false}, {"cmd", cmd}, {"error", error}}.dump();
}

inline std::string device_event(const RowSpec& spec) {
  return nlohmann::json{{"v", 1}, {"event", "device"}, {"device", device_row(spec)}}.dump();
}

}  // namespace otagw::ctl_test
