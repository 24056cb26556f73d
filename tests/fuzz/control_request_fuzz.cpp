// A line from a control socket client (docs/control.md) as the daemon parses
// it: parse_control_request, the one seam for what an operator's tool sends.
//
// Properties: never a crash or a throw; a request is one of the five commands
// with, for check, a product key and device name that pass config's identifier
// rules; an error has one of the documented codes and a message that is one
// printable line, and the error line the server writes serialises.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config/identifiers.hpp"
#include "daemon/control/control_request.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

bool one_printable_line(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using otagw::daemon::ControlCommand;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const auto parsed = otagw::daemon::parse_control_request(line);
  if (parsed) {
    OTAGW_FUZZ_CHECK(size <= otagw::daemon::kMaxControlLine);
    if (parsed->command == ControlCommand::check) {
      OTAGW_FUZZ_CHECK(!otagw::config::detail::check_product_key(parsed->product_key));
      OTAGW_FUZZ_CHECK(!otagw::config::detail::check_device_name(parsed->device_name));
    } else {
      OTAGW_FUZZ_CHECK(parsed->product_key.empty() && parsed->device_name.empty());
    }
    if (const auto* id = std::get_if<std::string>(&parsed->id)) OTAGW_FUZZ_CHECK(id->size() <= 64);
    return 0;
  }
  static const std::set<std::string> kCodes{"bad_json",       "bad_request",      "unsupported_version",
                                            "unknown_command", "line_too_long",   "unknown_device"};
  const auto& error = parsed.error();
  OTAGW_FUZZ_CHECK(kCodes.count(error.code) == 1);
  OTAGW_FUZZ_CHECK(one_printable_line(error.message));
  nlohmann::json out = {{"v", 1}, {"ok", false}, {"error", {{"code", error.code}, {"message", error.message}}}};
  if (const auto* id = std::get_if<std::string>(&error.id)) out["id"] = *id;
  const std::string text = out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  OTAGW_FUZZ_CHECK(text.find('\n') == std::string::npos);
  return 0;
}
