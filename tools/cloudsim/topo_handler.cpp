#include "tools/cloudsim/topo_handler.hpp"

#include <spdlog/spdlog.h>

#include "tools/cloudsim/device_list.hpp"
#include "tools/cloudsim/reply_codes.hpp"
#include "tools/cloudsim/subdevice_entry.hpp"

namespace otagw::cloudsim {

void handle_topo_add(SimState& state, const Inbound& in, std::string_view payload) {
  ++state.counters.topo_add_requests;
  auto request = state.read_request(in, payload, /*needs_id=*/true);
  if (!request || !state.check_gateway(in, *request)) return;
  state.check_method(in, *request, "thing.topo.add");

  const auto* params = request->params();
  if (params == nullptr || !params->is_array()) {
    state.violation(in, "params is not an array");
    return state.reply(in, request->id_json, codes::kBadRequest, "{}", "params must be an array of devices");
  }
  if (params->empty()) return state.reply(in, request->id_json, codes::kBadRequest, "{}", "params is empty");
  if (params->size() > static_cast<std::size_t>(state.limits.max_batch_topo)) {
    return state.reply(in, request->id_json, codes::kBadRequest, "{}",
                       "too many devices in one request (at most " + std::to_string(state.limits.max_batch_topo) + ")");
  }

  std::vector<DeviceFailure> failures;
  std::vector<DeviceState*> accepted;
  accepted.reserve(params->size());
  for (const auto& entry : *params) {
    const auto resolved = resolve_subdevice_entry(entry, {}, state.devices, failures);
    if (!resolved) continue;
    DeviceState* device = resolved->device;
    if (auto bad = check_subdevice_sign(resolved->fields, device->device_secret); !bad.empty()) {
      failures.push_back({device->product_key, device->device_name, codes::kBadRequest, std::move(bad)});
      continue;
    }
    accepted.push_back(device);
  }

  if (!failures.empty()) {
    spdlog::debug("topo add {} refused: {} of {} entries fail, first: {}/{} {}", request->id_json, failures.size(),
                  params->size(), failures.front().product_key, failures.front().device_name, failures.front().message);
    return state.reply(in, request->id_json, failures.front().code, render_failures(failures),
                       failures.front().message);
  }
  std::vector<std::pair<std::string_view, std::string_view>> added;
  added.reserve(accepted.size());
  for (auto* device : accepted) {
    device->topology = true;
    added.emplace_back(device->product_key, device->device_name);
  }
  spdlog::debug("topo add {}: {} devices", request->id_json, added.size());
  state.reply(in, request->id_json, codes::kSuccess, render_device_list(added), "success");
}

void handle_topo_delete(SimState& state, const Inbound& in, std::string_view payload) {
  ++state.counters.topo_delete_requests;
  auto request = state.read_request(in, payload, /*needs_id=*/true);
  if (!request || !state.check_gateway(in, *request)) return;
  state.check_method(in, *request, "thing.topo.delete");

  const auto* params = request->params();
  if (params == nullptr || !params->is_array()) {
    state.violation(in, "params is not an array");
    return state.reply(in, request->id_json, codes::kBadRequest, "{}", "params must be an array of devices");
  }
  if (params->empty()) return state.reply(in, request->id_json, codes::kBadRequest, "{}", "params is empty");
  if (params->size() > static_cast<std::size_t>(state.limits.max_batch_login)) {
    return state.reply(in, request->id_json, codes::kBadRequest, "{}",
                       "too many devices in one request (at most " + std::to_string(state.limits.max_batch_login) + ")");
  }

  std::vector<DeviceFailure> failures;
  std::vector<DeviceState*> deleted;
  deleted.reserve(params->size());
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
    if (!device->topology) {
      failures.push_back({device->product_key, device->device_name, codes::kTopologyMissing,
                          "topology relation does not exist"});
      continue;
    }
    deleted.push_back(device);
  }

  if (!failures.empty()) {
    spdlog::debug("topo delete {} refused: {} of {} entries fail, first: {}/{} {}", request->id_json, failures.size(),
                  params->size(), failures.front().product_key, failures.front().device_name, failures.front().message);
    return state.reply(in, request->id_json, failures.front().code, render_failures(failures),
                       failures.front().message);
  }
  for (auto* device : deleted) {
    device->topology = false;
    device->online = false;  // the relation carried the session
  }
  spdlog::debug("topo delete {}: {} devices", request->id_json, deleted.size());
  state.reply(in, request->id_json, codes::kSuccess, "{}", "success");
}

}  // namespace otagw::cloudsim
