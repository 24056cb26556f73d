#include "config/yaml_map_reader.hpp"

#include <algorithm>
#include <charconv>

#include "config/closest_match.hpp"
#include "config/message_text.hpp"

namespace otagw::config {

namespace {

using detail::closest_match;
using detail::quote_value;

// yaml-cpp tags plain scalars "?"; quoted and block scalars "!".
bool is_plain(const YAML::Node& node) { return node.Tag() == "?"; }

std::string expected(std::string_view what, const YAML::Node& got) {
  return "expected " + std::string(what) + ", got " + describe(got);
}

}  // namespace

int line_of(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  const int line = node.Mark().line;
  return line < 0 ? 0 : line + 1;
}

std::string join_path(std::string_view parent, std::string_view key) {
  std::string out(parent);
  if (!out.empty()) out += '.';
  out += key.empty() ? std::string_view("\"\"") : key;
  return out;
}

std::string index_path(std::string_view parent, std::size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return is_plain(node) ? quote_value(node.Scalar()) : "the quoted string " + quote_value(node.Scalar());
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

std::vector<MapEntry> map_entries(const YAML::Node& map, std::string_view path, ErrorSink& errors) {
  std::vector<MapEntry> entries;
  // Copies, not references: yaml-cpp's iterators hand out temporaries.
  for (const auto& pair : map) {
    const YAML::Node key = pair.first;
    const int key_line = line_of(key);
    if (!key.IsScalar() || key.Scalar().empty()) {
      errors.error(std::string(path), key_line, "a key must be a non-empty string");
      continue;
    }
    const std::string& name = key.Scalar();
    bool repeated = false;
    for (const MapEntry& earlier : entries) {
      if (earlier.key == name) {
        // Which one would win differs between YAML libraries; refuse both readings.
        errors.error(join_path(path, name), key_line,
                     "repeated key, first at line " + std::to_string(earlier.key_line));
        repeated = true;
        break;
      }
    }
    if (!repeated) entries.push_back(MapEntry{name, key_line, pair.second});
  }
  return entries;
}

MapReader::MapReader(const YAML::Node& node, std::string path, int line, ErrorSink& errors,
                     std::initializer_list<std::string_view> known_keys)
    : path_(std::move(path)), line_(line), errors_(&errors) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    errors.error(path_, line_, expected("a map", node));
    ok_ = false;
    return;
  }
  if (const int map_line = line_of(node); map_line > 0) line_ = map_line;
  const std::vector<std::string_view> known(known_keys);
  for (MapEntry& entry : map_entries(node, path_, errors)) {
    if (std::find(known.begin(), known.end(), entry.key) != known.end()) {
      entries_.push_back(std::move(entry));
      continue;
    }
    std::string message = "unknown key";
    if (auto hint = closest_match(entry.key, known)) message += ", did you mean '" + *hint + "'?";
    errors.error(join_path(path_, entry.key), entry.key_line, std::move(message));
  }
}

const MapEntry* MapReader::find_entry(std::string_view key) const {
  for (const MapEntry& entry : entries_) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

YAML::Node MapReader::value(std::string_view key) const {
  const MapEntry* entry = find_entry(key);
  return entry != nullptr ? entry->value : YAML::Node();
}

int MapReader::line(std::string_view key) const {
  const MapEntry* entry = find_entry(key);
  return entry != nullptr ? entry->key_line : line_;
}

void MapReader::error(std::string_view key, std::string message) const {
  errors_->error(path(key), line(key), std::move(message));
}

void MapReader::missing(std::string_view key, std::string_view hint) const {
  std::string message = "missing required key";
  if (!hint.empty()) message += std::string(" (") + std::string(hint) + ")";
  errors_->error(path(key), line_, std::move(message));
}

std::optional<std::string> MapReader::string(std::string_view key, StringRule rule) const {
  const MapEntry* entry = find_entry(key);
  if (entry == nullptr) {
    if (rule.required) missing(key);
    return std::nullopt;
  }
  const YAML::Node& node = entry->value;
  if (node.IsNull() || (node.IsScalar() && node.Scalar().empty())) {
    if (rule.empty_ok) return std::string();
    error(key, "must not be empty");
    return std::nullopt;
  }
  if (!node.IsScalar()) {
    error(key, expected("a string", node));
    return std::nullopt;
  }
  if (rule.check != nullptr) {
    if (auto problem = rule.check(node.Scalar())) {
      error(key, std::move(*problem));
      return std::nullopt;
    }
  }
  return node.Scalar();
}

std::optional<std::string> MapReader::secret_string(std::string_view key) const {
  const MapEntry* entry = find_entry(key);
  if (entry == nullptr) return std::nullopt;
  const YAML::Node& node = entry->value;
  if (node.IsMap() || node.IsSequence()) {
    // describe() does not quote maps or lists, but say it without any content.
    error(key, node.IsMap() ? "expected a string, got a map" : "expected a string, got a list");
    return std::nullopt;
  }
  if (!node.IsScalar() || node.Scalar().empty()) {
    error(key, "must not be empty");
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<std::int64_t> MapReader::integer(std::string_view key, std::int64_t min, std::int64_t max) const {
  const MapEntry* entry = find_entry(key);
  if (entry == nullptr) return std::nullopt;
  const YAML::Node& node = entry->value;
  const std::string range = "must be between " + std::to_string(min) + " and " + std::to_string(max);
  if (!node.IsScalar() || !is_plain(node)) {
    error(key, expected("an integer", node));
    return std::nullopt;
  }
  std::string_view text = node.Scalar();
  if (text.size() > 1 && text[0] == '+' && text[1] >= '0' && text[1] <= '9')
    text.remove_prefix(1);  // from_chars takes '-' only
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (end != text.data() + text.size() || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    error(key, expected("an integer", node));
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || value < min || value > max) {
    error(key, range + ", got " + node.Scalar());
    return std::nullopt;
  }
  return value;
}

std::optional<bool> MapReader::boolean(std::string_view key) const {
  const MapEntry* entry = find_entry(key);
  if (entry == nullptr) return std::nullopt;
  const YAML::Node& node = entry->value;
  if (node.IsScalar() && is_plain(node)) {
    if (node.Scalar() == "true") return true;
    if (node.Scalar() == "false") return false;
  }
  error(key, expected("true or false", node));
  return std::nullopt;
}

std::optional<std::string> MapReader::choice(std::string_view key,
                                             std::initializer_list<std::string_view> choices) const {
  const MapEntry* entry = find_entry(key);
  if (entry == nullptr) return std::nullopt;
  const YAML::Node& node = entry->value;
  if (node.IsScalar() && std::find(choices.begin(), choices.end(), node.Scalar()) != choices.end()) {
    return node.Scalar();
  }
  std::string list;
  for (const std::string_view choice : choices) {
    if (!list.empty()) list += ", ";
    list += choice;
  }
  error(key, expected("one of " + list, node));
  return std::nullopt;
}

}  // namespace otagw::config
