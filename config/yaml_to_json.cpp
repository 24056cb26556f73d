#include "config/yaml_to_json.hpp"

#include <charconv>
#include <cstdint>
#include <string_view>

#include "config/yaml_map_reader.hpp"

namespace otagw::config::detail {

namespace {

constexpr int kMaxDepth = 32;
// Aliases can expand a small file into a huge tree ("billion laughs").
constexpr std::size_t kMaxNodes = 100000;

bool all_of_chars(std::string_view text, std::string_view allowed) {
  return !text.empty() && text.find_first_not_of(allowed) == std::string_view::npos;
}

constexpr std::string_view kDigits = "0123456789";

std::optional<nlohmann::json> integer_json(std::string_view text, int base) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec == std::errc() && end == text.data() + text.size()) return nlohmann::json(value);
  if (text.front() != '-') {
    std::uint64_t big = 0;
    auto [big_end, big_ec] = std::from_chars(text.data(), text.data() + text.size(), big, base);
    if (big_ec == std::errc() && big_end == text.data() + text.size()) return nlohmann::json(big);
  }
  return std::nullopt;
}

// [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
bool is_core_float(std::string_view text) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i - start;
  };
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  const std::size_t whole = digits();
  std::size_t fraction = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    fraction = digits();
  }
  if (whole == 0 && fraction == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    if (digits() == 0) return false;
  }
  return i == text.size();
}

class Converter {
 public:
  explicit Converter(ErrorSink& errors) : errors_(&errors) {}

  std::optional<nlohmann::json> convert(const YAML::Node& node, const std::string& path, int line, int depth) {
    if (depth > kMaxDepth) return fail(path, line, "nested deeper than " + std::to_string(kMaxDepth) + " levels");
    if (++nodes_ > kMaxNodes) return fail(path, line, "more than " + std::to_string(kMaxNodes) + " values");
    switch (node.Type()) {
      case YAML::NodeType::Map:
        return convert_map(node, path, depth);
      case YAML::NodeType::Sequence:
        return convert_list(node, path, depth);
      case YAML::NodeType::Scalar:
        return node.Tag() == "?" ? plain_scalar_to_json(node.Scalar()) : nlohmann::json(node.Scalar());
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        break;
    }
    return nlohmann::json(nullptr);
  }

 private:
  std::optional<nlohmann::json> fail(const std::string& path, int line, std::string message) {
    // One error per params block: the first cut-off says enough.
    if (!failed_) errors_->error(path, line, std::move(message));
    failed_ = true;
    return std::nullopt;
  }

  std::optional<nlohmann::json> convert_map(const YAML::Node& node, const std::string& path, int depth) {
    nlohmann::json object = nlohmann::json::object();
    bool ok = true;
    for (const MapEntry& entry : map_entries(node, path, *errors_)) {
      auto value = convert(entry.value, join_path(path, entry.key), entry.key_line, depth + 1);
      if (!value) {
        ok = false;
        if (failed_) break;
        continue;
      }
      object[entry.key] = std::move(*value);
    }
    // map_entries reports repeated keys itself; recount to know whether it did.
    if (static_cast<std::size_t>(node.size()) != object.size()) ok = false;
    return ok ? std::optional(std::move(object)) : std::nullopt;
  }

  std::optional<nlohmann::json> convert_list(const YAML::Node& node, const std::string& path, int depth) {
    nlohmann::json array = nlohmann::json::array();
    std::size_t index = 0;
    for (const YAML::Node& item : node) {
      auto value = convert(item, index_path(path, index), line_of(item), depth + 1);
      if (!value) return std::nullopt;
      array.push_back(std::move(*value));
      ++index;
    }
    return array;
  }

  ErrorSink* errors_;
  std::size_t nodes_ = 0;
  bool failed_ = false;
};

}  // namespace

nlohmann::json plain_scalar_to_json(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;

  std::string_view body = text;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'o')) {
    const int base = body[1] == 'x' ? 16 : 8;
    body.remove_prefix(2);
    if (all_of_chars(body, base == 16 ? "0123456789abcdefABCDEF" : "01234567")) {
      if (auto value = integer_json(body, base)) return *value;
    }
    return text;
  }
  std::string_view unsigned_part = body;
  if (!unsigned_part.empty() && (unsigned_part[0] == '-' || unsigned_part[0] == '+')) unsigned_part.remove_prefix(1);
  if (all_of_chars(unsigned_part, kDigits)) {
    // from_chars takes a '-' but not a '+'.
    if (auto value = integer_json(body[0] == '+' ? unsigned_part : body, 10)) return *value;
    return text;
  }
  if (is_core_float(body)) {
    std::string_view number = body[0] == '+' ? body.substr(1) : body;
    double value = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec == std::errc() && end == number.data() + number.size()) return value;
  }
  return text;
}

}  // namespace otagw::config::detail

namespace otagw::config {

std::optional<nlohmann::json> yaml_to_json(const YAML::Node& node, const std::string& path, int line,
                                           ErrorSink& errors) {
  return detail::Converter(errors).convert(node, path, line, 0);
}

}  // namespace otagw::config
