#include "config/device_secret.hpp"

#include <string>

#include "config/message_text.hpp"
#include "config/secret_file_access.hpp"
#include "config/text_file.hpp"

namespace otagw::config::detail {

namespace {

constexpr std::string_view kInline = "device_secret";
constexpr std::string_view kFile = "device_secret_file";

std::optional<Secret> read_secret_file(const MapReader& map, const SourceContext& src) {
  const auto name = map.string(kFile);
  if (!name) return std::nullopt;
  const std::filesystem::path path = src.resolve(*name);
  FileText file = read_text_file(path, kMaxSecretFileBytes);
  if (!file.error.empty()) {
    map.error(kFile, "cannot read " + quote_value(path.string()) + ": " + file.error);
    return std::nullopt;
  }
  if (const std::string exposure = secret_file_exposure(path); !exposure.empty()) {
    map.error(kFile, "secret file " + quote_value(path.string()) + ": " + exposure);
    return std::nullopt;
  }
  // Editors and `echo` add a final newline that is not part of the secret.
  const auto end = file.text.find_last_not_of(" \t\r\n\f\v");
  file.text.erase(end == std::string::npos ? 0 : end + 1);
  if (file.text.empty()) {
    map.error(kFile, "secret file " + quote_value(path.string()) + " is empty");
    return std::nullopt;
  }
  return Secret(std::move(file.text));
}

}  // namespace

std::optional<Secret> read_device_secret(const MapReader& map, SourceContext& src) {
  const bool has_inline = map.has(kInline);
  const bool has_file = map.has(kFile);
  if (has_inline && has_file) {
    map.error(kFile, "set only one of device_secret and device_secret_file");
    return std::nullopt;
  }
  if (has_file) return read_secret_file(map, src);
  if (!has_inline) {
    map.missing(kInline, "or device_secret_file");
    return std::nullopt;
  }
  auto text = map.secret_string(kInline);
  if (!text) return std::nullopt;
  if (src.on_disk() && src.first_inline_secret()) {
    if (const std::string exposure = secret_file_exposure(src.file()); !exposure.empty()) {
      map.error(kInline, "this file holds secrets, but " + exposure);
      return std::nullopt;
    }
  }
  return Secret(std::move(*text));
}

}  // namespace otagw::config::detail
