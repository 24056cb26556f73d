#include "subdev/ota_messages.hpp"

#include <algorithm>

#include "subdev/json_text.hpp"

namespace otagw::subdev {
namespace {

// Ids, versions and module names are printable ASCII nearly always: quoted
// as they are, which is what json_text writes for them. Anything else (a
// quote, a backslash, a control byte, DEL, non-ASCII, bytes that are not
// UTF-8) goes through json_text itself.
void append_json_string(std::string& out, std::string_view text) {
  const bool plain = std::all_of(text.begin(), text.end(),
                                 [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
  if (!plain) {
    out += json_text(nlohmann::json(std::string(text)));
    return;
  }
  out += '"';
  out += text;
  out += '"';
}

}  // namespace

std::string inform_message(std::string_view id, std::string_view module, std::string_view version) {
  std::string out = "{\"id\":";
  append_json_string(out, id);
  out += ",\"params\":{";
  if (!module.empty()) {
    out += "\"module\":";
    append_json_string(out, module);
    out += ',';
  }
  out += "\"version\":";
  append_json_string(out, version);
  out += "}}";
  return out;
}

std::string firmware_get_message(std::string_view id, std::string_view module) {
  std::string out = "{\"id\":";
  append_json_string(out, id);
  out += ",\"method\":\"thing.ota.firmware.get\",\"params\":{";
  if (!module.empty()) {
    out += "\"module\":";
    append_json_string(out, module);
  }
  out += "},\"version\":\"1.0\"}";
  return out;
}

}  // namespace otagw::subdev
