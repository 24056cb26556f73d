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

// Where the firmware server listens and what the offers' URLs say. The
// defaults suit a gateway on this machine (otagwd, tests); a device maker's
// board on the LAN needs the address it can reach, and the Linkkit v3.2 SDK
// cannot fetch a URL that names a port (protocol.md section 5), hence port 80.
struct FirmwareListen {
  std::string host = "127.0.0.1";  // an IPv4 address: bound, put in the URLs and the certificate
  std::uint16_t http_port = 0;     // 0: a free port
  std::uint16_t https_port = 0;    // 0: a free port
};

}  // namespace otagw::cloudsim
