#pragma once
// The platform's topic names (protocol.md §3–4), in one place.
#include <string>
#include <string_view>

namespace otagw::subdev::topics {

inline std::string topo_add(std::string_view gpk, std::string_view gdn) {
  return "/sys/" + std::string(gpk) + "/" + std::string(gdn) + "/thing/topo/add";
}
inline std::string topo_delete(std::string_view gpk, std::string_view gdn) {
  return "/sys/" + std::string(gpk) + "/" + std::string(gdn) + "/thing/topo/delete";
}
inline std::string batch_login(std::string_view gpk, std::string_view gdn) {
  return "/ext/session/" + std::string(gpk) + "/" + std::string(gdn) + "/combine/batch_login";
}
inline std::string batch_logout(std::string_view gpk, std::string_view gdn) {
  return "/ext/session/" + std::string(gpk) + "/" + std::string(gdn) + "/combine/batch_logout";
}
inline std::string reply(std::string_view request_topic) { return std::string(request_topic) + "_reply"; }

inline std::string ota_upgrade(std::string_view pk, std::string_view dn) {
  return "/ota/device/upgrade/" + std::string(pk) + "/" + std::string(dn);
}
inline std::string ota_inform(std::string_view pk, std::string_view dn) {
  return "/ota/device/inform/" + std::string(pk) + "/" + std::string(dn);
}
inline std::string ota_progress(std::string_view pk, std::string_view dn) {
  return "/ota/device/progress/" + std::string(pk) + "/" + std::string(dn);
}
inline std::string firmware_get(std::string_view pk, std::string_view dn) {
  return "/sys/" + std::string(pk) + "/" + std::string(dn) + "/thing/ota/firmware/get";
}

}  // namespace otagw::subdev::topics
