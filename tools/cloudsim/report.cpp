#include "tools/cloudsim/report.hpp"

#include "tools/cloudsim/flash_overlap.hpp"
#include "tools/cloudsim/outcome.hpp"

namespace otagw::cloudsim {
namespace {

nlohmann::json device_json(const DeviceState& device) {
  nlohmann::json queries = nlohmann::json::array();
  for (const auto& q : device.queries) queries.push_back({{"module", q.module}, {"t_ms", q.t_ms}});
  nlohmann::json informs = nlohmann::json::array();
  for (const auto& i : device.informs) informs.push_back({{"version", i.version}, {"module", i.module}, {"t_ms", i.t_ms}});
  nlohmann::json progress = nlohmann::json::array();
  for (const auto& p : device.progress) {
    progress.push_back({{"step", p.step}, {"desc", p.desc}, {"module", p.module}, {"t_ms", p.t_ms}});
  }
  return {
      {"product_key", device.product_key},
      {"device_name", device.device_name},
      {"topology", device.topology},
      {"online", device.online},
      {"logins", device.logins},
      {"login_failures", device.login_failures},
      {"queries", std::move(queries)},
      {"informs", std::move(informs)},
      {"progress", std::move(progress)},
      {"pushes", device.pushes},
      {"bus", device.bus},
  };
}

nlohmann::json outcome_json(const ModuleOutcome& outcome) {
  nlohmann::json module = {
      {"module", outcome.module},
      {"from", outcome.from.empty() ? nlohmann::json() : nlohmann::json(outcome.from)},
      {"version", outcome.version.empty() ? nlohmann::json() : nlohmann::json(outcome.version)},
      {"to", outcome.to.empty() ? nlohmann::json() : nlohmann::json(outcome.to)},
      {"offers", outcome.offers},
      {"progress", outcome.progress},
      {"result", to_string(outcome.result)},
  };
  if (!outcome.failure_step.empty()) {
    module["step"] = outcome.failure_step;
    module["desc"] = outcome.failure_desc;
  }
  return module;
}

// The per-device summary: every module, and the version and result of the
// default module (or of the first one when the device has no default module).
void add_outcomes(nlohmann::json& json, const DeviceState& device) {
  std::vector<ModuleOutcome> outcomes;
  if (device.modules.empty()) outcomes.push_back(module_outcome(device, kDefaultModule));
  for (const auto& module : device.modules) outcomes.push_back(module_outcome(device, module.name));
  const ModuleOutcome* main = &outcomes.front();
  for (const auto& outcome : outcomes) {
    if (outcome.module == kDefaultModule) main = &outcome;
  }
  json["version"] = main->version.empty() ? nlohmann::json() : nlohmann::json(main->version);
  json["result"] = to_string(main->result);
  nlohmann::json modules = nlohmann::json::array();
  for (const auto& outcome : outcomes) modules.push_back(outcome_json(outcome));
  json["modules"] = std::move(modules);
}

}  // namespace

nlohmann::json make_report(const SimState& state, Clock::time_point now) {
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& device : state.devices.all()) {
    devices.push_back(device_json(device));
    add_outcomes(devices.back(), device);
  }
  nlohmann::json expectations = nlohmann::json::array();
  bool all_met = true;
  for (const auto& judged : judge_expectations(state)) {
    const auto& e = judged.expectation;
    nlohmann::json item = e.is_overlap() ? nlohmann::json{{"flashes_overlap", e.overlap_buses},
                                                          {"min_ms", e.overlap_min_ms},
                                                          {"met", judged.met}}
                                         : nlohmann::json{{"device", e.device_name}, {"module", e.module}, {"met", judged.met}};
    if (!e.product_key.empty()) item["product_key"] = e.product_key;
    if (e.version) item["version"] = *e.version;
    if (e.step) item["step"] = *e.step;
    if (e.result) item["result"] = *e.result;
    if (!judged.met) item["detail"] = judged.detail;
    all_met = all_met && judged.met;
    expectations.push_back(std::move(item));
  }
  nlohmann::json overlap;  // null: no two flashes on different buses ran at once
  if (const auto longest = longest_overlap(flash_spans(state.devices.all()))) {
    const auto span = [](const FlashSpan& s) {
      return nlohmann::json{{"device", s.label}, {"bus", s.bus}, {"start_ms", s.start_ms}, {"end_ms", s.end_ms}};
    };
    overlap = {{"ms", longest->ms}, {"flashes", {span(longest->first), span(longest->second)}}};
  }
  nlohmann::json violations = nlohmann::json::array();
  for (const auto& v : state.violations.kept()) {
    violations.push_back({{"t_ms", v.t_ms}, {"topic", v.topic}, {"what", v.what}});
  }
  const auto& c = state.counters;
  return {
      {"gateway", {{"product_key", state.gateway.product_key}, {"device_name", state.gateway.device_name}}},
      {"duration_ms", state.t_ms(now)},
      {"devices", std::move(devices)},
      {"violations", std::move(violations)},
      {"expectations", std::move(expectations)},
      {"expectations_met", all_met},
      {"flash_overlap", std::move(overlap)},
      {"counters",
       {
           {"messages", c.messages},
           {"topo_add_requests", c.topo_add_requests},
           {"topo_delete_requests", c.topo_delete_requests},
           {"login_requests", c.login_requests},
           {"logout_requests", c.logout_requests},
           {"throttled", c.throttled},
           {"gateway_disconnects", c.gateway_disconnects},
           {"peak_online", c.peak_online},
           {"queries", c.queries},
           {"informs", c.informs},
           {"progress", c.progress},
           {"pushes", c.pushes},
           {"replies", c.replies},
           {"unknown_topics", c.unknown_topics},
           {"violations", state.violations.total()},
       }},
  };
}

}  // namespace otagw::cloudsim
