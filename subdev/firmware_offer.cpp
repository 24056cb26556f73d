#include "subdev/firmware_offer.hpp"

#include <algorithm>
#include <cctype>

#include "subdev/json_fields.hpp"
#include "subdev/message_error.hpp"

namespace otagw::subdev {
namespace {

constexpr const char* kSingleImageName = "image.bin";

bool is_printable_token(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

// Becomes a path below the job directory: no separators, no dot-dot,
// nothing hidden, printable ASCII.
bool is_safe_file_name(std::string_view name) {
  return !name.empty() && name.front() != '.' && name.find('/') == std::string_view::npos && is_printable_token(name);
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

Expected<std::string> read_version(const FieldReader& fields) {
  auto version = fields.string("version", FirmwareOffer::kMaxVersionLength);
  if (!version) return version;
  if (version->empty() || !is_printable_token(*version) || version->find("..") != std::string::npos ||
      version->find('/') != std::string::npos) {
    return fields.fail(MessageErrc::bad_value, "version", "not 1..32 printable characters without '/' or '..'");
  }
  return version;
}

Expected<std::string> read_module(const FieldReader& fields) {
  auto module = fields.optional_string("module", FirmwareOffer::kMaxModuleLength);
  if (!module) return tl::make_unexpected(module.error());
  if (!*module) return std::string{};
  if (!is_printable_token(**module)) return fields.fail(MessageErrc::bad_value, "module", "not printable ASCII");
  return std::move(**module);
}

// isDiff: 1/0, true/false, "1"/"0" are all seen in the platform's docs and SDKs.
Expected<bool> read_is_diff(const FieldReader& fields) {
  const nlohmann::json* value = fields.optional("isDiff");
  if (value == nullptr) return false;
  if (value->is_boolean()) return value->get<bool>();
  if (const auto number = json_int64(*value, 0, 1)) return *number == 1;
  if (value->is_string()) {
    const auto& text = value->get_ref<const std::string&>();
    if (text == "0" || text == "1") return text == "1";
  }
  return fields.fail(MessageErrc::bad_value, "isDiff", std::string(json_type_name(*value)) + ", expected 0 or 1");
}

Expected<std::string> read_ext_data(const FieldReader& fields) {
  const nlohmann::json* value = fields.optional("extData");
  if (value == nullptr) return std::string("{}");
  if (!value->is_object()) {
    return fields.fail(MessageErrc::wrong_type, "extData", std::string(json_type_name(*value)) + ", expected an object");
  }
  // Strings in parsed JSON are valid UTF-8 already; replace is for safety.
  std::string text = value->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > FirmwareOffer::kMaxExtDataBytes) {
    return fields.fail(MessageErrc::bad_value, "extData",
                       std::to_string(text.size()) + " bytes, at most " +
                           std::to_string(FirmwareOffer::kMaxExtDataBytes));
  }
  return text;
}

Expected<transports::DigestMethod> read_sign_method(const FieldReader& fields) {
  auto text = fields.string("signMethod", 16);
  if (!text) return tl::make_unexpected(text.error());
  const auto method = transports::parse_digest_method(*text);
  if (!method) return fields.fail(MessageErrc::bad_value, "signMethod", "not Md5 or SHA256");
  return *method;
}

Expected<std::string> read_sign(const FieldReader& fields, std::string_view name, transports::DigestMethod method) {
  const std::size_t hex_length = method == transports::DigestMethod::md5 ? 32 : 64;
  auto sign = fields.string(name, hex_length);
  if (!sign) return sign;
  if (sign->size() != hex_length ||
      !std::all_of(sign->begin(), sign->end(), [](unsigned char c) { return std::isxdigit(c); })) {
    return fields.fail(MessageErrc::bad_value, name,
                       "not a " + std::string(transports::to_string(method)) + " hex digest");
  }
  return lowercase(std::move(*sign));
}

Expected<FirmwareFile> read_file(const FieldReader& fields, transports::DigestMethod method, const char* name_field,
                                 const char* url_field, const char* size_field, const char* sign_field) {
  FirmwareFile file;
  if (name_field == nullptr) {
    file.name = kSingleImageName;
  } else {
    auto name = fields.string(name_field, FirmwareOffer::kMaxFileNameLength);
    if (!name) return tl::make_unexpected(name.error());
    if (!is_safe_file_name(*name) || *name == "manifest.json") {
      return fields.fail(MessageErrc::bad_value, name_field, "not a plain file name");
    }
    file.name = std::move(*name);
  }
  auto url = fields.string(url_field, FirmwareOffer::kMaxUrlLength);
  if (!url) return tl::make_unexpected(url.error());
  if (url->empty() || !is_printable_token(*url)) {
    return fields.fail(MessageErrc::bad_value, url_field, "not a printable URL");
  }
  file.url = std::move(*url);
  auto size = fields.uint64(size_field, 1, FirmwareOffer::kMaxFileSize);
  if (!size) return tl::make_unexpected(size.error());
  file.size = *size;
  auto sign = read_sign(fields, sign_field, method);
  if (!sign) return tl::make_unexpected(sign.error());
  file.sign = std::move(*sign);
  return file;
}

}  // namespace

std::uint64_t FirmwareOffer::total_size() const noexcept {
  std::uint64_t total = 0;
  for (const auto& file : files) total += file.size;
  return total;
}

Expected<FirmwareOffer> convert_firmware_offer(const nlohmann::json& data) {
  if (!data.is_object()) {
    return make_error(MessageErrc::not_object,
                      "\"data\": " + std::string(json_type_name(data)) + ", expected an object");
  }
  const FieldReader fields(data, "");
  FirmwareOffer offer;
  auto version = read_version(fields);
  if (!version) return tl::make_unexpected(version.error());
  offer.version = std::move(*version);
  auto module = read_module(fields);
  if (!module) return tl::make_unexpected(module.error());
  offer.module = std::move(*module);
  auto is_diff = read_is_diff(fields);
  if (!is_diff) return tl::make_unexpected(is_diff.error());
  offer.is_diff = *is_diff;
  auto ext_data = read_ext_data(fields);
  if (!ext_data) return tl::make_unexpected(ext_data.error());
  offer.ext_data = std::move(*ext_data);

  auto protocol = fields.optional_string("dProtocol", 16);
  if (!protocol) return tl::make_unexpected(protocol.error());
  if (*protocol && **protocol == "mqtt") {
    // Refused by the firmware job until the stream download exists
    // (protocol.md §6); its fields are converted with it.
    offer.mqtt_stream = true;
    return offer;
  }

  auto method = read_sign_method(fields);
  if (!method) return tl::make_unexpected(method.error());
  offer.sign_method = *method;

  if (const nlohmann::json* files = fields.optional("files")) {
    if (!files->is_array()) {
      return fields.fail(MessageErrc::wrong_type, "files", std::string(json_type_name(*files)) + ", expected an array");
    }
    if (files->empty() || files->size() > FirmwareOffer::kMaxFiles) {
      return fields.fail(MessageErrc::bad_value, "files",
                         std::to_string(files->size()) + " files, expected 1.." +
                             std::to_string(FirmwareOffer::kMaxFiles));
    }
    offer.multi_file = true;
    for (std::size_t i = 0; i < files->size(); ++i) {
      const auto& entry = (*files)[i];
      const std::string prefix = "files[" + std::to_string(i) + "]";
      if (!entry.is_object()) {
        return make_error(MessageErrc::not_object,
                          "\"" + prefix + "\": " + std::string(json_type_name(entry)) + ", expected an object");
      }
      auto file = read_file(FieldReader(entry, prefix), offer.sign_method, "fileName", "fileUrl", "fileSize", "fileSign");
      if (!file) return tl::make_unexpected(file.error());
      const bool duplicate = std::any_of(offer.files.begin(), offer.files.end(),
                                         [&](const FirmwareFile& other) { return other.name == file->name; });
      if (duplicate) return make_error(MessageErrc::bad_value, "\"" + prefix + ".fileName\": a duplicate");
      offer.files.push_back(std::move(*file));
    }
    return offer;
  }

  // `md5` repeats `sign` for MD5 packages; it is not used, but it is checked.
  if (auto md5 = fields.optional_string("md5", 64); !md5) return tl::make_unexpected(md5.error());
  auto file = read_file(fields, offer.sign_method, nullptr, "url", "size", "sign");
  if (!file) return tl::make_unexpected(file.error());
  offer.files.push_back(std::move(*file));
  return offer;
}

}  // namespace otagw::subdev
