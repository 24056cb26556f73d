#pragma once
// The scenario: which devices the simulated platform knows and how it treats
// them (docs in tools/cloudsim/README.md). Plain data, filled by
// load_scenario() (scenario_load.hpp) and never changed afterwards; the
// run-time state lives in DeviceRegistry.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/secret.hpp"

namespace otagw::cloudsim {

// The module name the default module goes by on the wire: absent, "" and
// "default" all mean it.
inline constexpr std::string_view kDefaultModule = "default";

// How the platform answers thing.ota.firmware.get for one module.
enum class QueryMode {
  reply,     // answer on get_reply: the firmware, or "data":{} when there is none
  no_reply,  // never answer (tests the gateway's time-out)
  push,      // no get_reply; publish the firmware on /ota/device/upgrade instead
};

enum class LoginMode {
  accept,  // logins succeed when the sign and topology are right
  refuse,  // every login of this device fails (code 6204); its whole batch fails
};

// The firmware object the platform offers (protocol.md §4).
struct Firmware {
  std::string version;
  std::uint64_t size = 0;
  std::string url;
  std::string sign_method;  // as written in the scenario: "SHA256", "Md5", "MD5"
  std::string sign;         // hex digest of the whole file
  std::optional<int> is_diff;  // 1 = delta package
  nlohmann::json ext_data;     // an object passed through; null = absent
};

struct ModuleSpec {
  std::string name;  // kDefaultModule for the default module
  QueryMode query = QueryMode::reply;
  std::chrono::milliseconds delay{0};  // of the reply or the push
  std::optional<Firmware> firmware;    // none = up to date
};

struct DeviceSpec {
  std::string product_key;
  std::string device_name;
  config::Secret device_secret;
  bool topology_present = false;  // the platform already has the gateway-device relation
  LoginMode login = LoginMode::accept;
  std::vector<ModuleSpec> modules;  // unique names; empty = no firmware for any module
};

struct GatewaySpec {
  std::string product_key;
  std::string device_name;
  config::Secret device_secret;
};

struct Limits {
  int login_per_s = 200;      // login requests (batch or single) per second before 429
  int max_batch_login = 50;   // devices per login or logout request before 460
  int max_batch_topo = 30;    // devices per topology add before 460
};

struct Scenario {
  GatewaySpec gateway;
  Limits limits;
  std::vector<DeviceSpec> devices;  // listed devices first, then generated ones; unique pk/dn
};

}  // namespace otagw::cloudsim
