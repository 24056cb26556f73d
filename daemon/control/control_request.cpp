#include "daemon/control/control_request.hpp"

#include <nlohmann/json.hpp>

#include "config/identifiers.hpp"
#include "transports/log_text.hpp"

namespace otagw::daemon {
namespace {

constexpr std::size_t kMaxIdBytes = 64;

struct CommandName {
  std::string_view name;
  ControlCommand command;
};
constexpr CommandName kCommands[] = {{"status", ControlCommand::status},
                                     {"watch", ControlCommand::watch},
                                     {"sweep", ControlCommand::sweep},
                                     {"check", ControlCommand::check},
                                     {"reload", ControlCommand::reload}};

ControlError error(std::string code, std::string message, const ControlRequestId& id = {},
                   std::optional<ControlCommand> command = std::nullopt) {
  return ControlError{std::move(code), std::move(message), id, command};
}

}  // namespace

std::string_view to_string(ControlCommand command) noexcept {
  for (const auto& entry : kCommands) {
    if (entry.command == command) return entry.name;
  }
  return "status";
}

std::optional<std::pair<std::string, std::string>> parse_device_name(std::string_view text) {
  // A product key has no '.' or '/', a device name may hold '.': split at the first.
  const auto split = text.find_first_of("/.");
  if (split == std::string_view::npos) return std::nullopt;
  std::string product_key(text.substr(0, split));
  std::string device_name(text.substr(split + 1));
  if (config::detail::check_product_key(product_key) || config::detail::check_device_name(device_name)) {
    return std::nullopt;
  }
  return std::make_pair(std::move(product_key), std::move(device_name));
}

tl::expected<ControlRequest, ControlError> parse_control_request(std::string_view line) {
  if (line.size() > kMaxControlLine) {
    return tl::unexpected(error("line_too_long", "a request is at most " + std::to_string(kMaxControlLine) + " bytes"));
  }
  // No exceptions, a depth cap through the callback: a line of 4096 '['
  // must not recurse 4096 deep.
  constexpr int kMaxDepth = 8;
  const auto limit_depth = [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) { return depth <= kMaxDepth; };
  const nlohmann::json doc = nlohmann::json::parse(line.begin(), line.end(), limit_depth, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return tl::unexpected(error("bad_json", "a request is one JSON object on one line"));
  }

  ControlRequest request;
  // The id first, so that every later error can carry it.
  if (const auto it = doc.find("id"); it != doc.end()) {
    if (it->is_string() && it->get_ref<const std::string&>().size() <= kMaxIdBytes) {
      request.id = it->get<std::string>();
    } else if (it->is_number_integer()) {
      request.id = it->get<std::int64_t>();
    } else {
      return tl::unexpected(error("bad_request", "`id` must be a string of at most 64 bytes or an integer"));
    }
  }
  std::optional<ControlCommand> command;
  if (const auto it = doc.find("cmd"); it != doc.end() && it->is_string()) {
    for (const auto& entry : kCommands) {
      if (entry.name == it->get_ref<const std::string&>()) command = entry.command;
    }
  }

  const auto version = doc.find("v");
  if (version == doc.end()) return tl::unexpected(error("bad_request", "`v` (the protocol version, 1) is missing", request.id, command));
  if (!version->is_number_integer() || version->get<std::int64_t>() != kControlProtocolVersion) {
    return tl::unexpected(error("unsupported_version", "this daemon speaks protocol version 1", request.id, command));
  }
  const auto cmd = doc.find("cmd");
  if (cmd == doc.end()) return tl::unexpected(error("bad_request", "`cmd` is missing", request.id));
  if (!cmd->is_string()) return tl::unexpected(error("bad_request", "`cmd` must be a string", request.id));
  if (!command) {
    return tl::unexpected(error("unknown_command",
                                "unknown command " + log_text(cmd->get_ref<const std::string&>().substr(0, 32)) +
                                    " (status, watch, sweep, check, reload)",
                                request.id));
  }
  request.command = *command;

  for (const auto& [key, value] : doc.items()) {
    if (key == "v" || key == "cmd" || key == "id") continue;
    if (key == "device" && request.command == ControlCommand::check) continue;
    return tl::unexpected(
        error("bad_request", "unknown key " + log_text(std::string_view(key).substr(0, 32)) + " for " +
                                 std::string(to_string(request.command)), request.id, command));
  }
  if (request.command == ControlCommand::check) {
    const auto device = doc.find("device");
    if (device == doc.end() || !device->is_string()) {
      return tl::unexpected(error("bad_request", "`device` (PK/DN) is missing or not a string", request.id, command));
    }
    auto name = parse_device_name(device->get_ref<const std::string&>());
    if (!name) {
      return tl::unexpected(error("unknown_device",
                                  "not a sub-device name: " +
                                      log_text(std::string_view(device->get_ref<const std::string&>()).substr(0, 80)) +
                                      " (PK/DN or PK.DN)",
                                  request.id, command));
    }
    request.product_key = std::move(name->first);
    request.device_name = std::move(name->second);
  }
  return request;
}

}  // namespace otagw::daemon
