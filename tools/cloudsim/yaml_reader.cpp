#include "tools/cloudsim/yaml_reader.hpp"

#include <cctype>
#include <charconv>

#include "config/yaml_to_json.hpp"

namespace otagw::cloudsim::detail {
namespace {

std::string list_keys(std::initializer_list<std::string_view> keys) {
  std::string text;
  for (const auto key : keys) {
    if (!text.empty()) text += ", ";
    text += key;
  }
  return text;
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  return "'" + node.Scalar() + "'";
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::optional<nlohmann::json> typed_json(const YAML::Node& node, const std::string& path, YamlErrors& errors,
                                         int depth) {
  if (depth > 32) {
    errors.add(path, line_of(node), "nested deeper than 32 levels");
    return std::nullopt;
  }
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& item : node) {
        if (!item.first.IsScalar()) {
          errors.add(path, line_of(item.first), "a key must be a string");
          return std::nullopt;
        }
        auto value = typed_json(item.second, join_path(path, item.first.Scalar()), errors, depth + 1);
        if (!value) return std::nullopt;
        object[item.first.Scalar()] = std::move(*value);
      }
      return object;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      std::size_t index = 0;
      for (const auto& item : node) {
        auto value = typed_json(item, index_path(path, index++), errors, depth + 1);
        if (!value) return std::nullopt;
        array.push_back(std::move(*value));
      }
      return array;
    }
    case YAML::NodeType::Scalar:
      return node.Tag() == "?" ? config::detail::plain_scalar_to_json(node.Scalar()) : nlohmann::json(node.Scalar());
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return nlohmann::json(nullptr);
}

int line_of(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  const int line = node.Mark().line;
  return line >= 0 ? line + 1 : 0;
}

std::string join_path(std::string_view parent, std::string_view key) {
  std::string path(parent);
  if (!path.empty()) path += '.';
  path += key.empty() ? std::string_view("\"\"") : key;
  return path;
}

std::string index_path(std::string_view parent, std::size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

MapReader::MapReader(const YAML::Node& node, std::string path, YamlErrors& errors,
                     std::initializer_list<std::string_view> known, bool null_ok)
    : map_(node), path_(std::move(path)), errors_(&errors) {
  if (null_ok && (!node.IsDefined() || node.IsNull())) return;
  if (!node.IsMap()) {
    errors.add(path_, line_of(node), "expected a map, got " + describe(node));
    ok_ = false;
    return;
  }
  for (const auto& item : node) {
    const YAML::Node& key_node = item.first;
    if (!key_node.IsScalar()) {
      errors.add(path_, line_of(key_node), "a key must be a string");
      continue;
    }
    const std::string& key = key_node.Scalar();
    bool is_known = false;
    for (const auto candidate : known) is_known = is_known || candidate == key;
    if (!is_known) {
      errors.add(join_path(path_, key), line_of(key_node),
                 "unknown key '" + key + "' (allowed here: " + list_keys(known) + ")");
      continue;
    }
    if (has(key)) {
      errors.add(join_path(path_, key), line_of(key_node), "repeated key");
      continue;
    }
    entries_.emplace_back(key, item.second);
  }
}

bool MapReader::has(std::string_view key) const {
  for (const auto& [name, value] : entries_) {
    if (name == key) return true;
  }
  return false;
}

YAML::Node MapReader::node(std::string_view key) const {
  for (const auto& [name, value] : entries_) {
    if (name == key) return value;
  }
  return YAML::Node();
}

int MapReader::line(std::string_view key) const {
  for (const auto& [name, value] : entries_) {
    if (name == key) return line_of(value);
  }
  return line_of(map_);
}

void MapReader::error(std::string_view key, std::string message) const {
  errors_->add(path(key), line(key), std::move(message));
}

std::optional<std::string> MapReader::string(std::string_view key, bool required, bool empty_ok) const {
  if (!has(key)) {
    if (required) error(key, "missing required key");
    return std::nullopt;
  }
  const YAML::Node value = node(key);
  if (!value.IsScalar()) {
    error(key, "expected a string, got " + describe(value));
    return std::nullopt;
  }
  if (value.Scalar().empty() && !empty_ok) {
    error(key, "must not be empty");
    return std::nullopt;
  }
  return value.Scalar();
}

std::optional<std::int64_t> MapReader::integer(std::string_view key, std::int64_t min, std::int64_t max,
                                               bool required) const {
  if (!has(key)) {
    if (required) error(key, "missing required key");
    return std::nullopt;
  }
  const YAML::Node value = node(key);
  const std::string range = " in " + std::to_string(min) + ".." + std::to_string(max);
  if (!value.IsScalar()) {
    error(key, "expected an integer" + range + ", got " + describe(value));
    return std::nullopt;
  }
  const std::string& text = value.Scalar();
  std::int64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || number < min || number > max) {
    error(key, "expected an integer" + range + ", got " + describe(value));
    return std::nullopt;
  }
  return number;
}

std::optional<bool> MapReader::boolean(std::string_view key) const {
  if (!has(key)) return std::nullopt;
  const YAML::Node value = node(key);
  if (value.IsScalar() && value.Tag() == "?") {
    const auto parsed = config::detail::plain_scalar_to_json(value.Scalar());
    if (parsed.is_boolean()) return parsed.get<bool>();
  }
  error(key, "expected true or false, got " + describe(value));
  return std::nullopt;
}

std::optional<std::string> MapReader::choice(std::string_view key,
                                             std::initializer_list<std::string_view> choices) const {
  if (!has(key)) return std::nullopt;
  const YAML::Node value = node(key);
  if (value.IsScalar()) {
    for (const auto candidate : choices) {
      if (candidate == value.Scalar()) return value.Scalar();
    }
  }
  error(key, "expected one of " + list_keys(choices) + ", got " + describe(value));
  return std::nullopt;
}

}  // namespace otagw::cloudsim::detail
