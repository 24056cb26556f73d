#pragma once
// How the simulator reaches the broker (a light header: the command line fills it
// without pulling in Asio).
#include <chrono>
#include <cstdint>
#include <string>

#include "config/secret.hpp"

namespace otagw::cloudsim {

struct ServerOptions {
  std::string broker_host = "127.0.0.1";
  std::uint16_t broker_port = 1883;
  std::string username;          // the auth plugin's platform_username
  config::Secret password;       // its platform_password
  std::string client_id = "otagw-cloudsim";
  std::chrono::milliseconds connect_timeout{10000};  // connected and CONNACKed within this, or give up
};

}  // namespace otagw::cloudsim
