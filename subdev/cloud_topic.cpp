#include "subdev/cloud_topic.hpp"

#include <array>

#include "transports/topic_levels.hpp"

namespace otagw::subdev {
namespace {

TopicMatch match(CloudTopic kind, std::string_view product_key, std::string_view device_name) {
  return {kind, std::string(product_key), std::string(device_name)};
}

bool is_gateway(std::string_view pk, std::string_view dn, const GatewayIdentity& gateway) {
  return pk == gateway.product_key && dn == gateway.device_name;
}

}  // namespace

std::string_view to_string(CloudTopic kind) noexcept {
  switch (kind) {
    case CloudTopic::unknown: return "unknown";
    case CloudTopic::topo_add_reply: return "topo_add_reply";
    case CloudTopic::topo_delete_reply: return "topo_delete_reply";
    case CloudTopic::login_reply: return "login_reply";
    case CloudTopic::logout_reply: return "logout_reply";
    case CloudTopic::firmware_get_reply: return "firmware_get_reply";
    case CloudTopic::upgrade_push: return "upgrade_push";
  }
  return "unknown";
}

TopicMatch classify_topic(std::string_view topic, const GatewayIdentity& gateway) {
  if (topic.starts_with("/sys/")) {
    std::array<std::string_view, 6> six;
    std::array<std::string_view, 7> seven;
    if (transports::split_topic_levels(topic, six) && six[3] == "thing" && six[4] == "topo" &&
        is_gateway(six[1], six[2], gateway)) {
      if (six[5] == "add_reply") return match(CloudTopic::topo_add_reply, six[1], six[2]);
      if (six[5] == "delete_reply") return match(CloudTopic::topo_delete_reply, six[1], six[2]);
    }
    if (transports::split_topic_levels(topic, seven) && seven[3] == "thing" && seven[4] == "ota" && seven[5] == "firmware" &&
        seven[6] == "get_reply") {
      return match(CloudTopic::firmware_get_reply, seven[1], seven[2]);
    }
  } else if (topic.starts_with("/ext/session/")) {
    std::array<std::string_view, 6> levels;
    if (transports::split_topic_levels(topic, levels) && levels[1] == "session" && levels[4] == "combine" &&
        is_gateway(levels[2], levels[3], gateway)) {
      if (levels[5] == "batch_login_reply") return match(CloudTopic::login_reply, levels[2], levels[3]);
      if (levels[5] == "batch_logout_reply") return match(CloudTopic::logout_reply, levels[2], levels[3]);
    }
  } else if (topic.starts_with("/ota/device/upgrade/")) {
    std::array<std::string_view, 5> levels;
    if (transports::split_topic_levels(topic, levels)) return match(CloudTopic::upgrade_push, levels[3], levels[4]);
  }
  return {};
}

}  // namespace otagw::subdev
