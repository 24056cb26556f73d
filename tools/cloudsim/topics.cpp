#include "tools/cloudsim/topics.hpp"

#include <array>

#include "transports/topic_levels.hpp"

namespace otagw::cloudsim {

std::vector<std::string> subscription_filters() {
  return {
      "/sys/+/+/thing/topo/add",
      "/sys/+/+/thing/topo/delete",
      "/ext/session/+/+/combine/batch_login",
      "/ext/session/+/+/combine/login",
      "/ext/session/+/+/combine/batch_logout",
      "/sys/+/+/thing/ota/firmware/get",
      "/ota/device/inform/+/+",
      "/ota/device/progress/+/+",
      "/ota/device/request/+/+",
      "$otagw/disconnected/+/+",
  };
}

TopicMatch classify_topic(std::string_view topic) {
  TopicMatch match;
  if (topic.starts_with("/sys/")) {
    // sys/{pk}/{dn}/thing/topo/{add,delete}  or  sys/{pk}/{dn}/thing/ota/firmware/get
    std::array<std::string_view, 6> six;
    std::array<std::string_view, 7> seven;
    if (transports::split_topic_levels(topic, six) && six[3] == "thing" && six[4] == "topo") {
      if (six[5] == "add") match = {TopicKind::topo_add, six[1], six[2]};
      if (six[5] == "delete") match = {TopicKind::topo_delete, six[1], six[2]};
    } else if (transports::split_topic_levels(topic, seven) && seven[3] == "thing" && seven[4] == "ota" && seven[5] == "firmware" &&
               seven[6] == "get") {
      match = {TopicKind::firmware_get, seven[1], seven[2]};
    }
  } else if (topic.starts_with("/ext/session/")) {
    std::array<std::string_view, 6> levels;
    if (transports::split_topic_levels(topic, levels) && levels[1] == "session" && levels[4] == "combine") {
      const auto action = levels[5];
      const TopicKind kind = action == "batch_login"    ? TopicKind::batch_login
                             : action == "login"        ? TopicKind::login
                             : action == "batch_logout" ? TopicKind::batch_logout
                                                        : TopicKind::unknown;
      if (kind != TopicKind::unknown) match = {kind, levels[2], levels[3]};
    }
  } else if (topic.starts_with("$otagw/disconnected/")) {
    std::array<std::string_view, 2> levels;
    if (transports::split_topic_levels(topic.substr(19), levels)) match = {TopicKind::device_disconnected, levels[0], levels[1]};
  } else if (topic.starts_with("/ota/device/")) {
    std::array<std::string_view, 5> levels;
    if (transports::split_topic_levels(topic, levels)) {
      if (levels[2] == "inform") match = {TopicKind::inform, levels[3], levels[4]};
      if (levels[2] == "progress") match = {TopicKind::progress, levels[3], levels[4]};
      if (levels[2] == "request") match = {TopicKind::legacy_request, levels[3], levels[4]};
    }
  }
  return match;
}

std::string_view to_string(TopicKind kind) noexcept {
  switch (kind) {
    case TopicKind::topo_add: return "topo_add";
    case TopicKind::topo_delete: return "topo_delete";
    case TopicKind::batch_login: return "batch_login";
    case TopicKind::login: return "login";
    case TopicKind::batch_logout: return "batch_logout";
    case TopicKind::firmware_get: return "firmware_get";
    case TopicKind::inform: return "inform";
    case TopicKind::progress: return "progress";
    case TopicKind::legacy_request: return "legacy_request";
    case TopicKind::device_disconnected: return "device_disconnected";
    case TopicKind::unknown: return "unknown";
  }
  return "unknown";
}

std::string upgrade_topic(std::string_view product_key, std::string_view device_name) {
  std::string topic;
  topic.reserve(21 + product_key.size() + device_name.size());
  topic.append("/ota/device/upgrade/").append(product_key).append("/").append(device_name);
  return topic;
}

}  // namespace otagw::cloudsim
