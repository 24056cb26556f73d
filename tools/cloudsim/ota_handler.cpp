#include "tools/cloudsim/ota_handler.hpp"

#include <utility>

#include <spdlog/spdlog.h>

#include "tools/cloudsim/reply_codes.hpp"

namespace otagw::cloudsim {
namespace {

// The sender of an OTA message: a known sub-device, or nullptr (the gateway
// itself, or a violation already recorded). Messages of a sub-device that is
// not logged in are violations: the gateway may use its topics only after login.
DeviceState* sender(SimState& state, const Inbound& in, std::string_view what) {
  DeviceState* device = state.devices.find(in.match.product_key, in.match.device_name);
  if (device == nullptr) {
    if (!state.is_gateway(in.match.product_key, in.match.device_name)) {
      state.violation(in, std::string(what) + " from a device the scenario does not have");
    }
    return nullptr;
  }
  if (!device->online) state.violation(in, std::string(what) + " from offline device");
  return device;
}

// params.module: absent, null or "" = the default module. nullopt (with a
// violation) when it is there but not a string.
std::optional<std::string> module_of(SimState& state, const Inbound& in, const nlohmann::json& params) {
  const auto it = params.find("module");
  if (it == params.end() || it->is_null()) return std::string(kDefaultModule);
  if (!it->is_string()) {
    state.violation(in, "params.module is not a string");
    return std::nullopt;
  }
  const auto& name = it->get_ref<const std::string&>();
  return name.empty() ? std::string(kDefaultModule) : name;
}

const nlohmann::json& params_or_empty(SimState& state, const Inbound& in, const AlinkRequest& request) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  const auto* params = request.params();
  if (params == nullptr || !params->is_object()) {
    state.violation(in, "params missing or not an object");
    return kEmpty;
  }
  return *params;
}

// {"code":"1000","message":"success","id":<n>,"data":<firmware>}: the upgrade
// push, also the legacy query's answer.
std::string push_message(SimState& state, const ModuleState& module) {
  std::string push = "{\"code\":\"1000\",\"message\":\"success\",\"id\":";
  push += std::to_string(state.next_push_id++);
  push += ",\"data\":";
  push += module.data_json;
  push += '}';
  return push;
}

// Offers the module's firmware on the upgrade topic (query mode `push`).
void push_offer(SimState& state, DeviceState& device, ModuleState& module) {
  ++device.pushes;
  ++module.offers;
  ++state.counters.pushes;
  state.publish(upgrade_topic(device.product_key, device.device_name), push_message(state, module), module.delay);
}

// A reported version (inform, legacy query): recorded; the firmware's own
// version marks the module installed.
void record_version(SimState& state, const Inbound& in, DeviceState& device, std::string_view version,
                    const std::string& module) {
  device.informs.push_back(InformRecord{std::string(version), module, state.t_ms(in.now)});
  ModuleState* spec = device.find_module(module);
  if (spec != nullptr && spec->has_firmware && !spec->installed && version == spec->target_version) {
    if (!spec->alternate_version.empty()) {
      // An `alternate:` module: the other firmware is offered from now on.
      std::swap(spec->data_json, spec->alternate_data_json);
      std::swap(spec->target_version, spec->alternate_version);
      ++spec->alternations;
      spdlog::debug("{}/{} module {} reports {}: offering {} from now on", device.product_key, device.device_name,
                    module, version, spec->target_version);
      return;
    }
    spdlog::debug("{}/{} module {} reports {}: upgrade done, no more offers", device.product_key, device.device_name,
                  module, version);
    spec->installed = true;
  }
}

}  // namespace

void handle_firmware_get(SimState& state, const Inbound& in, std::string_view payload) {
  ++state.counters.queries;
  auto request = state.read_request(in, payload, /*needs_id=*/true);
  if (!request) return;
  state.check_method(in, *request, "thing.ota.firmware.get");
  DeviceState* device = sender(state, in, "firmware query");
  if (device == nullptr) {
    if (state.is_gateway(in.match.product_key, in.match.device_name)) {
      state.reply(in, request->id_json, codes::kSuccess, "{}", "success");
    }
    return;
  }
  const auto& params = params_or_empty(state, in, *request);
  const auto module_name = module_of(state, in, params);
  if (!module_name) return state.reply(in, request->id_json, codes::kBadRequest, "{}", "params.module must be a string");
  device->queries.push_back(QueryRecord{*module_name, state.t_ms(in.now)});

  ModuleState* module = device->find_module(*module_name);
  if (module == nullptr) return state.reply(in, request->id_json, codes::kSuccess, "{}", "success");
  // Once the device runs the firmware's version there is nothing to offer.
  if (module->installed) return state.reply(in, request->id_json, codes::kSuccess, "{}", "success", module->delay);
  switch (module->query) {
    case QueryMode::reply:
      if (module->has_firmware) ++module->offers;
      state.reply(in, request->id_json, codes::kSuccess, module->data_json, "success", module->delay);
      break;
    case QueryMode::no_reply:
      spdlog::debug("firmware query {} of {}/{} module {}: not answered (scenario)", request->id_json,
                    device->product_key, device->device_name, module->name);
      break;
    case QueryMode::push:
      push_offer(state, *device, *module);
      break;
  }
}

void handle_inform(SimState& state, const Inbound& in, std::string_view payload) {
  ++state.counters.informs;
  auto request = state.read_request(in, payload, /*needs_id=*/false);
  if (!request) return;
  DeviceState* device = sender(state, in, "inform");
  if (device == nullptr) return;
  const auto& params = params_or_empty(state, in, *request);
  const auto module = module_of(state, in, params);
  const auto version = string_member(params, "version");
  if (!version || version->empty() || version->size() > 32) {
    state.violation(in, "params.version missing, not a string or not 1..32 characters");
    return;
  }
  if (!module) return;
  record_version(state, in, *device, *version, *module);
}

void handle_legacy_request(SimState& state, const Inbound& in, std::string_view payload) {
  {
    // Our own offer, back from the broker (we subscribe the topic we answer on).
    std::string why;
    const auto message = parse_alink(payload, why);
    if (message && message->member("code") != nullptr) return;
  }
  ++state.counters.queries;
  auto request = state.read_request(in, payload, /*needs_id=*/false);
  if (!request) return;
  DeviceState* device = sender(state, in, "legacy firmware query");
  if (device == nullptr) return;  // the gateway's own: it has no firmware in a scenario
  const std::string module_name(kDefaultModule);
  device->queries.push_back(QueryRecord{module_name, state.t_ms(in.now)});
  const auto& params = params_or_empty(state, in, *request);
  const auto version = string_member(params, "version");
  if (version && !version->empty() && version->size() <= 32) {
    record_version(state, in, *device, *version, module_name);
  } else {
    state.violation(in, "params.version missing, not a string or not 1..32 characters");
  }

  ModuleState* module = device->find_module(module_name);
  // Nothing to offer: the platform sends no message at all.
  if (module == nullptr || !module->has_firmware || module->installed) return;
  switch (module->query) {
    case QueryMode::reply:
      ++module->offers;
      ++state.counters.replies;
      state.publish(std::string(in.topic), push_message(state, *module), module->delay);
      break;
    case QueryMode::no_reply:
      spdlog::debug("legacy firmware query of {}/{}: not answered (scenario)", device->product_key,
                    device->device_name);
      break;
    case QueryMode::push:
      push_offer(state, *device, *module);
      break;
  }
}

void handle_progress(SimState& state, const Inbound& in, std::string_view payload) {
  ++state.counters.progress;
  auto request = state.read_request(in, payload, /*needs_id=*/false);
  if (!request) return;
  DeviceState* device = sender(state, in, "progress");
  if (device == nullptr) return;
  const auto& params = params_or_empty(state, in, *request);
  const auto module = module_of(state, in, params);
  std::string step;
  const auto it = params.find("step");
  if (it != params.end() && it->is_string()) {
    step = it->get_ref<const std::string&>();
  } else if (it != params.end() && it->is_number_integer()) {
    state.violation(in, "params.step is a number, not a string");
    step = it->dump();
  } else {
    state.violation(in, "params.step missing or not a string");
    return;
  }
  std::string desc;
  if (params.contains("desc")) {
    if (const auto text = string_member(params, "desc")) {
      desc = *text;
    } else {
      state.violation(in, "params.desc is not a string");
    }
  }
  if (!module) return;
  device->progress.push_back(ProgressRecord{std::move(step), std::move(desc), *module, state.t_ms(in.now)});
}

}  // namespace otagw::cloudsim
