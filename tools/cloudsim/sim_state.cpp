#include "tools/cloudsim/sim_state.hpp"

#include "tools/cloudsim/reply_codes.hpp"

namespace otagw::cloudsim {

SimState::SimState(const Scenario& scenario, Outbox& outbox, Clock::time_point start)
    : gateway(scenario.gateway),
      limits(scenario.limits),
      devices(scenario.devices),
      expect(scenario.expect),
      throttle(scenario.limits.login_per_s),
      started(start),
      outbox_(&outbox) {}

std::int64_t SimState::t_ms(Clock::time_point now) const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - started).count();
}

bool SimState::is_gateway(std::string_view product_key, std::string_view device_name) const noexcept {
  return product_key == gateway.product_key && device_name == gateway.device_name;
}

void SimState::violation(const Inbound& in, std::string what) { violations.add(t_ms(in.now), in.topic, std::move(what)); }

void SimState::reply(const Inbound& in, std::string_view id_json, int code, std::string_view data_json,
                     std::string_view message, std::chrono::milliseconds delay) {
  std::string topic;
  topic.reserve(in.topic.size() + 6);
  topic.append(in.topic).append("_reply");
  ++counters.replies;
  outbox_->publish(std::move(topic), render_reply(id_json, code, data_json, message), delay);
}

void SimState::publish(std::string topic, std::string payload, std::chrono::milliseconds delay) {
  outbox_->publish(std::move(topic), std::move(payload), delay);
}

std::optional<AlinkRequest> SimState::read_request(const Inbound& in, std::string_view payload, bool needs_id) {
  std::string why;
  auto request = parse_alink(payload, why);
  if (!request) {
    violation(in, "malformed message: " + why);
    return std::nullopt;
  }
  const auto* id = request->member("id");
  if (id == nullptr) {
    violation(in, needs_id ? "missing id: cannot reply" : "missing id");
    if (needs_id) return std::nullopt;
  } else if (request->id_json.empty()) {
    violation(in, "id is neither a string nor an integer" + std::string(needs_id ? ": cannot reply" : ""));
    if (needs_id) return std::nullopt;
  } else if (!request->id_is_string) {
    if (needs_id) violation(in, "id is a number, not a decimal string");
  } else {
    const auto& text = id->get_ref<const std::string&>();
    bool decimal = !text.empty() && text.size() <= 10;
    for (const char c : text) decimal = decimal && c >= '0' && c <= '9';
    if (decimal && std::stoull(text) > 4294967295ULL) decimal = false;
    if (!decimal) violation(in, "id '" + text.substr(0, 40) + "' is not a decimal string in 0..4294967295");
  }
  return request;
}

void SimState::check_method(const Inbound& in, const AlinkRequest& request, std::string_view expected) {
  const auto* method = request.member("method");
  if (method == nullptr) return;
  if (!method->is_string() || method->get_ref<const std::string&>() != expected) {
    violation(in, "method " + method->dump().substr(0, 60) + ", expected \"" + std::string(expected) + "\"");
  }
}

bool SimState::check_gateway(const Inbound& in, const AlinkRequest& request) {
  if (is_gateway(in.match.product_key, in.match.device_name)) return true;
  violation(in, "request for a gateway the scenario does not have");
  reply(in, request.id_json, codes::kDeviceNotFound, "{}", "gateway not found");
  return false;
}

}  // namespace otagw::cloudsim
