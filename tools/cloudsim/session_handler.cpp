#include "tools/cloudsim/session_handler.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "tools/cloudsim/device_list.hpp"
#include "tools/cloudsim/reply_codes.hpp"
#include "tools/cloudsim/subdevice_entry.hpp"

namespace otagw::cloudsim {
namespace {

std::string too_many(int limit) {
  return "too many devices in one request (at most " + std::to_string(limit) + ")";
}

}  // namespace

void handle_login(SimState& state, const Inbound& in, std::string_view payload, bool batch) {
  ++state.counters.login_requests;
  auto request = state.read_request(in, payload, /*needs_id=*/true);
  if (!request || !state.check_gateway(in, *request)) return;
  if (!batch) state.check_method(in, *request, "combine.login");
  if (!state.throttle.admit(in.now)) {
    ++state.counters.throttled;
    spdlog::debug("login {} throttled", request->id_json);
    return state.reply(in, request->id_json, codes::kThrottled, "{}", "request too frequent, throttled");
  }

  const auto* params = request->params();
  if (params == nullptr || !params->is_object()) {
    state.violation(in, "params is not an object");
    return state.reply(in, request->id_json, codes::kBadRequest, "{}", "params must be an object");
  }
  const std::string_view request_method = string_member(*params, "signMethod").value_or("");
  // The single form carries one device's fields in params itself.
  const nlohmann::json single_list = batch ? nlohmann::json() : nlohmann::json::array({*params});
  const nlohmann::json* list = &single_list;
  if (batch) {
    const auto it = params->find("deviceList");
    if (it == params->end() || !it->is_array()) {
      state.violation(in, "params.deviceList is not an array");
      return state.reply(in, request->id_json, codes::kBadRequest, "{}", "params.deviceList must be an array");
    }
    list = &*it;
  }
  if (list->empty()) return state.reply(in, request->id_json, codes::kBadRequest, "{}", "params.deviceList is empty");
  if (list->size() > static_cast<std::size_t>(state.limits.max_batch_login)) {
    return state.reply(in, request->id_json, codes::kBadRequest, "{}", too_many(state.limits.max_batch_login));
  }

  std::vector<DeviceFailure> failures;
  std::vector<DeviceState*> known;
  known.reserve(list->size());
  for (const auto& entry : *list) {
    const auto resolved = resolve_subdevice_entry(entry, request_method, state.devices, failures);
    if (!resolved) continue;
    DeviceState* device = resolved->device;
    known.push_back(device);
    if (!device->topology) {
      failures.push_back({device->product_key, device->device_name, codes::kTopologyMissing,
                          "topology relation does not exist"});
    } else if (auto bad = check_subdevice_sign(resolved->fields, device->device_secret); !bad.empty()) {
      failures.push_back({device->product_key, device->device_name, codes::kBadRequest, std::move(bad)});
    } else if (device->login == LoginMode::refuse) {
      failures.push_back({device->product_key, device->device_name, codes::kDeviceDisabled,
                          "device disabled (login: refuse in the scenario)"});
    }
  }

  if (!failures.empty()) {
    for (auto* device : known) ++device->login_failures;
    spdlog::debug("login {} refused: {} of {} devices fail, first: {}/{} {}", request->id_json, failures.size(),
                  list->size(), failures.front().product_key, failures.front().device_name, failures.front().message);
    return state.reply(in, request->id_json, failures.front().code, render_failures(failures),
                       failures.front().message);
  }
  std::vector<std::pair<std::string_view, std::string_view>> logged_in;
  logged_in.reserve(known.size());
  for (auto* device : known) {
    device->online = true;
    ++device->logins;
    logged_in.emplace_back(device->product_key, device->device_name);
  }
  std::uint64_t online_now = 0;
  for (const auto& device : state.devices.all()) online_now += device.online ? 1 : 0;
  state.counters.peak_online = std::max(state.counters.peak_online, online_now);
  spdlog::debug("login {}: {} devices online", request->id_json, logged_in.size());
  if (batch) return state.reply(in, request->id_json, codes::kSuccess, render_device_list(logged_in), "success");
  // The single form answers with the device itself, not a list.
  std::string data = render_device_list(logged_in);
  state.reply(in, request->id_json, codes::kSuccess, std::string_view(data).substr(1, data.size() - 2), "success");
}

void handle_batch_logout(SimState& state, const Inbound& in, std::string_view payload) {
  ++state.counters.logout_requests;
  auto request = state.read_request(in, payload, /*needs_id=*/true);
  if (!request || !state.check_gateway(in, *request)) return;

  const auto* params = request->params();
  if (params == nullptr || !params->is_array()) {
    state.violation(in, "params is not an array");
    return state.reply(in, request->id_json, codes::kBadRequest, "{}", "params must be an array of devices");
  }
  if (params->empty()) return state.reply(in, request->id_json, codes::kBadRequest, "{}", "params is empty");
  if (params->size() > static_cast<std::size_t>(state.limits.max_batch_login)) {
    return state.reply(in, request->id_json, codes::kBadRequest, "{}", too_many(state.limits.max_batch_login));
  }
  std::vector<DeviceFailure> failures;
  std::vector<DeviceState*> devices;
  for (const auto& entry : *params) {
    const auto pk = string_member(entry, "productKey");
    const auto dn = string_member(entry, "deviceName");
    if (!pk || !dn) {
      auto [p, d] = entry_identity(entry);
      failures.push_back({std::move(p), std::move(d), codes::kBadRequest, "productKey or deviceName missing"});
      continue;
    }
    DeviceState* device = state.devices.find(*pk, *dn);
    if (device == nullptr) {
      failures.push_back({std::string(*pk), std::string(*dn), codes::kDeviceNotFound, "device not found"});
      continue;
    }
    devices.push_back(device);
  }
  if (!failures.empty()) {
    return state.reply(in, request->id_json, failures.front().code, render_failures(failures),
                       failures.front().message);
  }
  std::vector<std::pair<std::string_view, std::string_view>> logged_out;
  for (auto* device : devices) {
    device->online = false;
    logged_out.emplace_back(device->product_key, device->device_name);
  }
  spdlog::debug("logout {}: {} devices offline", request->id_json, logged_out.size());
  state.reply(in, request->id_json, codes::kSuccess, render_device_list(logged_out), "success");
}

void handle_device_disconnected(SimState& state, const Inbound& in) {
  if (!state.is_gateway(in.match.product_key, in.match.device_name)) return;
  take_all_offline(state, "the gateway's connection ended");
}

void take_all_offline(SimState& state, std::string_view why) {
  ++state.counters.gateway_disconnects;
  std::size_t went = 0;
  for (auto& device : state.devices.all()) {
    if (device.online) ++went;
    device.online = false;
  }
  spdlog::info("{}: {} sub-device(s) offline until logged in again", why, went);
}

}  // namespace otagw::cloudsim
