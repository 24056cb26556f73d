#include "subdev/json_fields.hpp"

namespace otagw::subdev {

std::string_view json_type_name(const nlohmann::json& value) noexcept {
  switch (value.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "an integer";
    case nlohmann::json::value_t::number_float: return "a fractional number";
    case nlohmann::json::value_t::binary: return "binary";
    case nlohmann::json::value_t::discarded: return "discarded";
  }
  return "unknown";
}

std::optional<std::int64_t> json_int64(const nlohmann::json& value, std::int64_t min, std::int64_t max) noexcept {
  if (value.is_number_unsigned()) {
    const auto u = value.get_ref<const nlohmann::json::number_unsigned_t&>();
    if (max < 0 || u > static_cast<std::uint64_t>(max)) return std::nullopt;
    const auto v = static_cast<std::int64_t>(u);
    if (v < min) return std::nullopt;
    return v;
  }
  if (value.is_number_integer()) {
    const auto v = value.get_ref<const nlohmann::json::number_integer_t&>();
    if (v < min || v > max) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

std::string FieldReader::path(std::string_view name) const {
  std::string out = "\"";
  if (!prefix_.empty()) {
    out += prefix_;
    out += '.';
  }
  out += name;
  out += '"';
  return out;
}

Unexpected FieldReader::fail(MessageErrc code, std::string_view name, std::string_view what) const {
  return make_error(code, path(name) + ": " + std::string(what));
}

Unexpected FieldReader::wrong_type(std::string_view name, const nlohmann::json& value,
                                   std::string_view expected) const {
  return fail(MessageErrc::wrong_type, name,
              std::string(json_type_name(value)) + ", expected " + std::string(expected));
}

const nlohmann::json* FieldReader::optional(std::string_view name) const {
  const auto it = object_.find(name);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

Expected<const nlohmann::json*> FieldReader::required(std::string_view name) const {
  const auto it = object_.find(name);
  if (it == object_.end()) return fail(MessageErrc::missing_field, name, "missing");
  if (it->is_null()) return fail(MessageErrc::missing_field, name, "null");
  return &*it;
}

Expected<std::string> FieldReader::string(std::string_view name, std::size_t max_bytes) const {
  auto value = required(name);
  if (!value) return tl::make_unexpected(value.error());
  if (!(*value)->is_string()) return wrong_type(name, **value, "a string");
  const auto& text = (*value)->get_ref<const std::string&>();
  if (text.size() > max_bytes) {
    return fail(MessageErrc::bad_value, name,
                std::to_string(text.size()) + " bytes, at most " + std::to_string(max_bytes));
  }
  return text;
}

Expected<std::optional<std::string>> FieldReader::optional_string(std::string_view name,
                                                                  std::size_t max_bytes) const {
  if (optional(name) == nullptr) return std::optional<std::string>{};
  auto text = string(name, max_bytes);
  if (!text) return tl::make_unexpected(text.error());
  return std::optional<std::string>(std::move(*text));
}

Expected<std::int64_t> FieldReader::int64(std::string_view name, std::int64_t min, std::int64_t max) const {
  auto value = required(name);
  if (!value) return tl::make_unexpected(value.error());
  if (!(*value)->is_number_integer()) return wrong_type(name, **value, "an integer");
  const auto number = json_int64(**value, min, max);
  if (!number) {
    return fail(MessageErrc::out_of_range, name, "outside " + std::to_string(min) + ".." + std::to_string(max));
  }
  return *number;
}

Expected<std::uint64_t> FieldReader::uint64(std::string_view name, std::uint64_t min, std::uint64_t max) const {
  auto value = required(name);
  if (!value) return tl::make_unexpected(value.error());
  if (!(*value)->is_number_integer()) return wrong_type(name, **value, "an integer");
  const bool negative = (*value)->is_number_integer() && !(*value)->is_number_unsigned() &&
                        (*value)->get_ref<const nlohmann::json::number_integer_t&>() < 0;
  const std::uint64_t number = negative ? 0 : (*value)->get<std::uint64_t>();
  if (negative || number < min || number > max) {
    return fail(MessageErrc::out_of_range, name, "outside " + std::to_string(min) + ".." + std::to_string(max));
  }
  return number;
}

}  // namespace otagw::subdev
