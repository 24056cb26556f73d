#pragma once
// What the cloudsim tests send as the gateway: its identity (the one their
// scenarios name) and builders for topics and requests (protocol.md §3-4).
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace otagw::cloudsim_test {

inline const std::string kGwPk = "a1GwProd01";
inline const std::string kGwDn = "gw-0001";
inline const std::string kGwSecret = "gwSecret0123456789abcdef";
inline const std::string kPk = "a1SubProd1";  // the sub-devices' product

inline std::string session_topic(const std::string& action) {
  return "/ext/session/" + kGwPk + "/" + kGwDn + "/combine/" + action;
}
inline std::string get_topic(const std::string& pk, const std::string& dn) {
  return "/sys/" + pk + "/" + dn + "/thing/ota/firmware/get";
}

// Braced lists inside a co_await expression trip g++ 12 ("array used as
// initializer"): tests build lists with these instead.
template <typename... Entries>
nlohmann::json list(Entries&&... entries) {
  nlohmann::json array = nlohmann::json::array();
  (array.push_back(std::forward<Entries>(entries)), ...);
  return array;
}
template <typename... Topics>
std::vector<std::string> topics(Topics&&... names) {
  std::vector<std::string> all;
  (all.push_back(std::forward<Topics>(names)), ...);
  return all;
}

inline nlohmann::json login_request(const std::string& id, nlohmann::json entries) {
  return {{"id", id},
          {"version", "1.0"},
          {"params", {{"signMethod", "hmacSha256"}, {"deviceList", std::move(entries)}}}};
}
inline nlohmann::json query(const std::string& id, const std::string& module = {}) {
  nlohmann::json params = nlohmann::json::object();
  if (!module.empty()) params["module"] = module;
  return {{"id", id}, {"version", "1.0"}, {"params", params}, {"method", "thing.ota.firmware.get"}};
}

}  // namespace otagw::cloudsim_test
