#include "tools/cloudsim/device_list.hpp"

#include "tools/cloudsim/alink_message.hpp"

namespace otagw::cloudsim {
namespace {

void append_identity(std::string& out, std::string_view product_key, std::string_view device_name) {
  out += "{\"productKey\":";
  append_json_string(out, product_key);
  out += ",\"deviceName\":";
  append_json_string(out, device_name);
}

}  // namespace

std::string render_device_list(const std::vector<std::pair<std::string_view, std::string_view>>& devices) {
  std::string out = "[";
  for (const auto& [pk, dn] : devices) {
    if (out.size() > 1) out += ',';
    append_identity(out, pk, dn);
    out += '}';
  }
  out += ']';
  return out;
}

std::string render_failures(const std::vector<DeviceFailure>& failures) {
  std::string out = "[";
  for (const auto& failure : failures) {
    if (out.size() > 1) out += ',';
    append_identity(out, failure.product_key, failure.device_name);
    out += ",\"code\":" + std::to_string(failure.code) + ",\"message\":";
    append_json_string(out, failure.message);
    out += '}';
  }
  out += ']';
  return out;
}

}  // namespace otagw::cloudsim
