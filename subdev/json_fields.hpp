#pragma once
// Typed reads of the fields of one JSON object from the cloud, for the
// message seam. The type is checked before a value is taken (nothing
// throws), numbers are range-checked in 64 bits, strings are length-checked,
// and an error's context names the field by its path ("files[2].fileSize")
// and says what was found, never the value itself.
//
// Optional fields may be absent or null; required ones must be present and
// not null.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "subdev/message_error.hpp"
#include "transports/result.hpp"

namespace otagw::subdev {

// "string", "number", "object", ... for error texts.
[[nodiscard]] std::string_view json_type_name(const nlohmann::json& value) noexcept;

class FieldReader {
 public:
  // `object` must be a JSON object and outlive the reader. `prefix` is its
  // path ("" for the message's top level, "files[2]" for an element).
  FieldReader(const nlohmann::json& object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {}

  // The field's value, or nullptr when it is absent or null.
  [[nodiscard]] const nlohmann::json* optional(std::string_view name) const;

  [[nodiscard]] Expected<std::string> string(std::string_view name, std::size_t max_bytes) const;
  [[nodiscard]] Expected<std::optional<std::string>> optional_string(std::string_view name,
                                                                     std::size_t max_bytes) const;
  // Integers only (1.0 and "1" are wrong types), within [min, max].
  [[nodiscard]] Expected<std::int64_t> int64(std::string_view name, std::int64_t min, std::int64_t max) const;
  [[nodiscard]] Expected<std::uint64_t> uint64(std::string_view name, std::uint64_t min, std::uint64_t max) const;

  // The field's path for an error context: "\"files[2].fileSize\"".
  [[nodiscard]] std::string path(std::string_view name) const;
  [[nodiscard]] Unexpected fail(MessageErrc code, std::string_view name, std::string_view what) const;

 private:
  [[nodiscard]] Expected<const nlohmann::json*> required(std::string_view name) const;
  [[nodiscard]] Unexpected wrong_type(std::string_view name, const nlohmann::json& value,
                                      std::string_view expected) const;

  const nlohmann::json& object_;
  std::string prefix_;
};

// Reads a JSON integer of any signedness as a 64-bit value within [min, max];
// nullopt when it is not an integer or out of range.
[[nodiscard]] std::optional<std::int64_t> json_int64(const nlohmann::json& value, std::int64_t min,
                                                     std::int64_t max) noexcept;

}  // namespace otagw::subdev
