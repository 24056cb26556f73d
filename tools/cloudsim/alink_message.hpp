#pragma once
// The Alink JSON envelope (protocol.md §2): reading a request, rendering a
// reply. Parsing never throws; rendering appends to strings without building a
// JSON tree, since it runs for every reply.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace otagw::cloudsim {

struct AlinkRequest {
  nlohmann::json doc;   // the whole message (an object)
  std::string id_json;  // the id as JSON text, to echo verbatim: "\"17\"" (or 17); empty when absent
  bool id_is_string = false;

  // The member `key` of doc, or nullptr.
  [[nodiscard]] const nlohmann::json* member(std::string_view key) const;
  [[nodiscard]] const nlohmann::json* params() const { return member("params"); }
  // doc["method"] when it is a string, else empty.
  [[nodiscard]] std::string_view method() const;
};

// nullopt with the reason in `why` when `payload` is not a JSON object.
[[nodiscard]] std::optional<AlinkRequest> parse_alink(std::string_view payload, std::string& why);

// Appends `text` as a JSON string literal (quotes included).
void append_json_string(std::string& out, std::string_view text);

// {"id":<id_json>,"code":<code>,"data":<data_json>,"message":"<message>"}
[[nodiscard]] std::string render_reply(std::string_view id_json, int code, std::string_view data_json,
                                       std::string_view message);

// A string member of `object`, or nullopt when absent or not a string.
[[nodiscard]] std::optional<std::string_view> string_member(const nlohmann::json& object, std::string_view key);

}  // namespace otagw::cloudsim
