// ConfigError::to_string: the one format every caller prints.
#include <catch2/catch.hpp>

#include "config/load.hpp"

namespace otagw::config {
namespace {

TEST_CASE("an error in the main file prints as KEY: MESSAGE (line N)", "[unit]") {
  const ConfigError error{"/etc/otagw/gateway.yaml", "subdevices[3].plugin", 41, "unknown plugin 'uart2'"};
  CHECK(error.to_string("/etc/otagw/gateway.yaml") == "subdevices[3].plugin: unknown plugin 'uart2' (line 41)");
}

TEST_CASE("an error in another file prints with the file in front", "[unit]") {
  const ConfigError error{"/etc/otagw/subdevices.d/10-a.yaml", "[2].plugin", 7, "unknown plugin 'uart2'"};
  CHECK(error.to_string("/etc/otagw/gateway.yaml") ==
        "/etc/otagw/subdevices.d/10-a.yaml: [2].plugin: unknown plugin 'uart2' (line 7)");
  CHECK(error.to_string() == "/etc/otagw/subdevices.d/10-a.yaml: [2].plugin: unknown plugin 'uart2' (line 7)");
}

TEST_CASE("an error without key path or line prints the message alone", "[unit]") {
  const ConfigError error{"/etc/otagw/gateway.yaml", "", 0, "cannot read: Permission denied"};
  CHECK(error.to_string("/etc/otagw/gateway.yaml") == "cannot read: Permission denied");
}

}  // namespace
}  // namespace otagw::config
