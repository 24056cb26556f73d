#include "tools/cloudsim/platform.hpp"

#include <exception>

#include <spdlog/spdlog.h>

#include "tools/cloudsim/ota_handler.hpp"
#include "tools/cloudsim/session_handler.hpp"
#include "tools/cloudsim/topo_handler.hpp"

namespace otagw::cloudsim {

Platform::Platform(const Scenario& scenario, Outbox& outbox, Clock::time_point started)
    : state_(scenario, outbox, started) {}

void Platform::on_message(std::string_view topic, std::string_view payload, Clock::time_point now) {
  const Inbound in{topic, classify_topic(topic), now};
  if (in.match.kind == TopicKind::device_disconnected) {
    // The broker's news, not a device's message: not counted or logged as one.
    return handle_device_disconnected(state_, in);
  }
  ++state_.counters.messages;
  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug("<- {} ({} bytes): {}", topic.substr(0, 200), payload.size(), payload.substr(0, 300));
  }
  try {
    switch (in.match.kind) {
      case TopicKind::topo_add: return handle_topo_add(state_, in, payload);
      case TopicKind::topo_delete: return handle_topo_delete(state_, in, payload);
      case TopicKind::batch_login: return handle_login(state_, in, payload, /*batch=*/true);
      case TopicKind::login: return handle_login(state_, in, payload, /*batch=*/false);
      case TopicKind::batch_logout: return handle_batch_logout(state_, in, payload);
      case TopicKind::firmware_get: return handle_firmware_get(state_, in, payload);
      case TopicKind::inform: return handle_inform(state_, in, payload);
      case TopicKind::progress: return handle_progress(state_, in, payload);
      case TopicKind::legacy_request: return handle_legacy_request(state_, in, payload);
      case TopicKind::device_disconnected: return;  // handled above
      case TopicKind::unknown:
        ++state_.counters.unknown_topics;
        return state_.violation(in, "a topic the platform does not serve");
    }
  } catch (const std::exception& e) {
    // A handler bug or an odd message nlohmann refuses to access: record it and
    // keep serving (the simulator must outlive whatever it is fed).
    state_.violation(in, std::string("internal error handling the message: ") + e.what());
  }
}

void Platform::on_broker_lost() { take_all_offline(state_, "the simulator lost the broker"); }

}  // namespace otagw::cloudsim
