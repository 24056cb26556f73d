#include "subdev/subdev_error.hpp"

#include <string>

namespace otagw::subdev {
namespace {

class SubdevCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "otagw.subdev"; }
  std::string message(int value) const override {
    switch (static_cast<SubdevErrc>(value)) {
      case SubdevErrc::timed_out: return "no answer from the platform in time";
      case SubdevErrc::connection_lost: return "the MQTT session was lost";
      case SubdevErrc::refused: return "refused by the platform";
      case SubdevErrc::malformed_reply: return "malformed reply from the platform";
      case SubdevErrc::stopped: return "stopping";
    }
    return "unknown sub-device error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& subdev_category() noexcept {
  static const SubdevCategory category;
  return category;
}

}  // namespace otagw::subdev
