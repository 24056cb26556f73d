#pragma once
// The topics the simulated platform serves (protocol.md §3-4): the filters it
// subscribes to, and the classification of a received topic.
#include <string>
#include <string_view>
#include <vector>

namespace otagw::cloudsim {

enum class TopicKind {
  topo_add,      // /sys/{gpk}/{gdn}/thing/topo/add
  topo_delete,   // /sys/{gpk}/{gdn}/thing/topo/delete
  batch_login,   // /ext/session/{gpk}/{gdn}/combine/batch_login
  login,         // /ext/session/{gpk}/{gdn}/combine/login
  batch_logout,  // /ext/session/{gpk}/{gdn}/combine/batch_logout
  firmware_get,  // /sys/{pk}/{dn}/thing/ota/firmware/get
  inform,        // /ota/device/inform/{pk}/{dn}
  progress,      // /ota/device/progress/{pk}/{dn}
  legacy_request,  // /ota/device/request/{pk}/{dn} (Linkkit v3 query; the offer comes back on it)
  device_disconnected,  // $otagw/disconnected/{pk}/{dn}: the broker plugin saw the device's connection end
  unknown,
};

struct TopicMatch {
  TopicKind kind = TopicKind::unknown;
  std::string_view product_key;  // views into the classified topic
  std::string_view device_name;
};

// Subscription filters (QoS 1) covering every kind above.
[[nodiscard]] std::vector<std::string> subscription_filters();

[[nodiscard]] TopicMatch classify_topic(std::string_view topic);

[[nodiscard]] std::string_view to_string(TopicKind kind) noexcept;

// /ota/device/upgrade/{pk}/{dn}
[[nodiscard]] std::string upgrade_topic(std::string_view product_key, std::string_view device_name);

}  // namespace otagw::cloudsim
