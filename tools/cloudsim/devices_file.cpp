#include "tools/cloudsim/devices_file.hpp"

namespace otagw::cloudsim {

std::string devices_file_text(const Scenario& scenario) {
  // The loader has refused white space in all three fields, so each is one token.
  return "# otagw_mqtt_auth devices file (product_key device_name device_secret), from otagw-cloudsim\n" +
         scenario.gateway.product_key + ' ' + scenario.gateway.device_name + ' ' +
         scenario.gateway.device_secret.reveal() + '\n';
}

}  // namespace otagw::cloudsim
