#include "subdev/bounded_json.hpp"

#include <algorithm>
#include <string>

#include "subdev/message_error.hpp"

namespace otagw::subdev {
namespace {

// The first pass: counts nesting, builds nothing, stops at the first level
// too deep.
class DepthCheck {
 public:
  using number_integer_t = nlohmann::json::number_integer_t;
  using number_unsigned_t = nlohmann::json::number_unsigned_t;
  using number_float_t = nlohmann::json::number_float_t;
  using string_t = nlohmann::json::string_t;
  using binary_t = nlohmann::json::binary_t;

  explicit DepthCheck(std::size_t max_depth) : max_depth_(max_depth) {}

  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(number_integer_t) { return true; }
  bool number_unsigned(number_unsigned_t) { return true; }
  bool number_float(number_float_t, const string_t&) { return true; }
  bool string(string_t&) { return true; }
  bool binary(binary_t&) { return true; }
  bool key(string_t&) { return true; }
  bool start_object(std::size_t) { return enter(); }
  bool end_object() { return leave(); }
  bool start_array(std::size_t) { return enter(); }
  bool end_array() { return leave(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    malformed_ = true;
    return false;
  }

  [[nodiscard]] bool too_deep() const noexcept { return too_deep_; }
  [[nodiscard]] bool malformed() const noexcept { return malformed_; }

 private:
  bool enter() {
    if (++depth_ > max_depth_) {
      too_deep_ = true;
      return false;
    }
    return true;
  }
  bool leave() {
    --depth_;
    return true;
  }

  std::size_t max_depth_;
  std::size_t depth_ = 0;
  bool too_deep_ = false;
  bool malformed_ = false;
};

}  // namespace

Expected<nlohmann::json> parse_bounded_json(std::string_view text, JsonLimits limits) {
  if (text.size() > limits.max_bytes) {
    return make_error(MessageErrc::too_large, std::to_string(text.size()) + " bytes, at most " +
                                                  std::to_string(limits.max_bytes));
  }
  try {
    // No value nests deeper than it has opening brackets (those inside
    // strings count too): a text with no more of them than the limit needs
    // no first pass. A visit's reply has two, and the pass cost as much as
    // the parse, thousands of times a sweep.
    const auto openings = std::count_if(text.begin(), text.end(), [](char c) { return c == '{' || c == '['; });
    if (static_cast<std::size_t>(openings) > limits.max_depth) {
      DepthCheck check(limits.max_depth);
      const bool ok = nlohmann::json::sax_parse(text, &check, nlohmann::json::input_format_t::json, /*strict=*/true);
      if (check.too_deep()) {
        return make_error(MessageErrc::too_deep, "more than " + std::to_string(limits.max_depth) + " levels");
      }
      if (!ok || check.malformed()) return make_error(MessageErrc::not_json);
    }
    auto value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) return make_error(MessageErrc::not_json);
    return value;
  } catch (const std::exception&) {
    // sax_parse reports through parse_error; anything thrown is
    // resource exhaustion inside the parser. Not JSON we can take.
    return make_error(MessageErrc::not_json);
  }
}

}  // namespace otagw::subdev
