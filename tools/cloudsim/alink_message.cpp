#include "tools/cloudsim/alink_message.hpp"

namespace otagw::cloudsim {

const nlohmann::json* AlinkRequest::member(std::string_view key) const {
  const auto it = doc.find(key);
  return it == doc.end() ? nullptr : &*it;
}

std::string_view AlinkRequest::method() const {
  const auto* value = member("method");
  if (value == nullptr || !value->is_string()) return {};
  return value->get_ref<const std::string&>();
}

std::optional<AlinkRequest> parse_alink(std::string_view payload, std::string& why) {
  AlinkRequest request;
  request.doc = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (request.doc.is_discarded()) {
    why = "not valid JSON";
    return std::nullopt;
  }
  if (!request.doc.is_object()) {
    why = "not a JSON object";
    return std::nullopt;
  }
  if (const auto* id = request.member("id")) {
    request.id_is_string = id->is_string();
    if (id->is_string() || id->is_number_integer()) request.id_json = id->dump();
  }
  return request;
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

std::string render_reply(std::string_view id_json, int code, std::string_view data_json, std::string_view message) {
  std::string out;
  out.reserve(48 + id_json.size() + data_json.size() + message.size());
  out += "{\"id\":";
  out += id_json;
  out += ",\"code\":";
  out += std::to_string(code);
  out += ",\"data\":";
  out += data_json;
  out += ",\"message\":";
  append_json_string(out, message);
  out += '}';
  return out;
}

std::optional<std::string_view> string_member(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return std::string_view(it->get_ref<const std::string&>());
}

}  // namespace otagw::cloudsim
