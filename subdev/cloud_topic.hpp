#pragma once
// The one place a topic from the cloud is read: which kind of message it
// carries and, for a sub-device's OTA topics, which device it is about.
// The daemon, the OTA channel and the topology all go by this.
#include <string>
#include <string_view>

#include "subdev/gateway_identity.hpp"

namespace otagw::subdev {

enum class CloudTopic {
  unknown,             // nothing the gateway subscribes to, or another gateway's reply topic
  topo_add_reply,      // /sys/{gpk}/{gdn}/thing/topo/add_reply
  topo_delete_reply,   // /sys/{gpk}/{gdn}/thing/topo/delete_reply
  login_reply,         // /ext/session/{gpk}/{gdn}/combine/batch_login_reply
  logout_reply,        // /ext/session/{gpk}/{gdn}/combine/batch_logout_reply
  firmware_get_reply,  // /sys/{pk}/{dn}/thing/ota/firmware/get_reply (a sub-device's)
  upgrade_push,        // /ota/device/upgrade/{pk}/{dn} (a sub-device's)
};

[[nodiscard]] std::string_view to_string(CloudTopic kind) noexcept;

struct TopicMatch {
  CloudTopic kind = CloudTopic::unknown;
  // The sub-device of an OTA topic; for the gateway's reply topics, the
  // gateway. Empty for unknown topics.
  std::string product_key;
  std::string device_name;

  [[nodiscard]] std::string device_key() const { return product_key + "." + device_name; }
  // How a person reads the device: logs, messages, docs ("PK/DN").
  [[nodiscard]] std::string display_name() const { return product_key + "/" + device_name; }
};

// Exact level counts, no empty levels; the reply topics must be this
// gateway's own.
[[nodiscard]] TopicMatch classify_topic(std::string_view topic, const GatewayIdentity& gateway);

}  // namespace otagw::subdev
