#include "subdev/message_error.hpp"

#include <string>

namespace otagw::subdev {
namespace {

class MessageCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "otagw.message"; }
  std::string message(int value) const override {
    switch (static_cast<MessageErrc>(value)) {
      case MessageErrc::unknown_topic: return "not a topic the gateway handles";
      case MessageErrc::too_large: return "message too large";
      case MessageErrc::not_json: return "not valid JSON";
      case MessageErrc::too_deep: return "JSON nested too deeply";
      case MessageErrc::not_object: return "not a JSON object";
      case MessageErrc::missing_field: return "missing";
      case MessageErrc::wrong_type: return "wrong type";
      case MessageErrc::out_of_range: return "out of range";
      case MessageErrc::bad_value: return "unusable value";
    }
    return "unknown message error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& message_category() noexcept {
  static const MessageCategory category;
  return category;
}

}  // namespace otagw::subdev
