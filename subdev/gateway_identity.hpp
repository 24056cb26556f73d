#pragma once
// Who the gateway is on the platform: the product key and device name its
// own topics carry.
#include <string>

namespace otagw::subdev {

struct GatewayIdentity {
  std::string product_key;
  std::string device_name;
};

}  // namespace otagw::subdev
