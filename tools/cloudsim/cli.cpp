#include "tools/cloudsim/cli.hpp"

#include <charconv>
#include <map>

namespace otagw::cloudsim {
namespace {

constexpr std::string_view kUsage =
    "usage:\n"
    "  otagw-cloudsim serve --scenario FILE --broker-port PORT --username USER --password PASS\n"
    "                       [--broker-host HOST] [--report FILE] [--client-id ID] [--log-level LEVEL]\n"
    "      Play the IoT platform for the scenario's gateway on a local broker. Prints 'ready'\n"
    "      once subscribed; on SIGTERM/SIGINT writes the JSON report (--report) and exits 0.\n"
    "      Exit 1: no connection within 10 s; exit 2: bad usage or scenario.\n"
    "  otagw-cloudsim devices-file --scenario FILE\n"
    "      Print the broker auth plugin's devices file line for the scenario's gateway.\n"
    "  otagw-cloudsim --help\n";

// Options as name -> value; "--name value" and "--name=value" both work.
bool collect(std::span<const std::string_view> args, std::map<std::string, std::string, std::less<>>& options,
             std::string& error) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (!arg.starts_with("--") || arg.size() == 2) {
      error = "unexpected argument '" + std::string(arg) + "'";
      return false;
    }
    arg.remove_prefix(2);
    std::string name, value;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else {
      name = arg;
      if (i + 1 >= args.size()) {
        error = "--" + name + " needs a value";
        return false;
      }
      value = args[++i];
    }
    if (!options.emplace(name, value).second) {
      error = "--" + name + " given twice";
      return false;
    }
  }
  return true;
}

bool check_known(const std::map<std::string, std::string, std::less<>>& options,
                 std::initializer_list<std::string_view> known, std::string& error) {
  for (const auto& [name, value] : options) {
    bool ok = false;
    for (const auto k : known) ok = ok || k == name;
    if (!ok) {
      error = "unknown option --" + name;
      return false;
    }
  }
  return true;
}

std::optional<std::string> take(std::map<std::string, std::string, std::less<>>& options, std::string_view name,
                                bool required, std::string& error) {
  const auto it = options.find(name);
  if (it == options.end()) {
    if (required && error.empty()) error = "missing --" + std::string(name);
    return std::nullopt;
  }
  if (it->second.empty() && error.empty()) error = "--" + std::string(name) + " must not be empty";
  return it->second;
}

}  // namespace

std::string_view usage_text() noexcept { return kUsage; }

CliResult parse_command_line(std::span<const std::string_view> args) {
  CliResult result;
  if (args.empty()) {
    result.error = "no command given";
    return result;
  }
  const std::string_view command = args.front();
  if (command == "--help" || command == "-h" || command == "help") {
    result.command = HelpCommand{};
    return result;
  }
  std::map<std::string, std::string, std::less<>> options;
  std::string& error = result.error;
  if (!collect(args.subspan(1), options, error)) return result;

  if (command == "devices-file") {
    if (!check_known(options, {"scenario"}, error)) return result;
    const auto scenario = take(options, "scenario", true, error);
    if (!error.empty()) return result;
    result.command = DevicesFileCommand{*scenario};
    return result;
  }
  if (command != "serve") {
    error = "unknown command '" + std::string(command) + "'";
    return result;
  }
  if (!check_known(options,
                   {"scenario", "broker-host", "broker-port", "username", "password", "report", "client-id", "log-level"},
                   error)) {
    return result;
  }
  ServeCommand serve;
  const auto scenario = take(options, "scenario", true, error);
  const auto port = take(options, "broker-port", true, error);
  const auto username = take(options, "username", true, error);
  const auto password = take(options, "password", true, error);
  const auto host = take(options, "broker-host", false, error);
  const auto report = take(options, "report", false, error);
  const auto client_id = take(options, "client-id", false, error);
  const auto log_level = take(options, "log-level", false, error);
  if (!error.empty()) return result;

  serve.scenario = *scenario;
  unsigned number = 0;
  const auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), number);
  if (ec != std::errc() || end != port->data() + port->size() || number == 0 || number > 65535) {
    error = "--broker-port: expected a port number 1..65535, got '" + *port + "'";
    return result;
  }
  serve.server.broker_port = static_cast<std::uint16_t>(number);
  serve.server.username = *username;
  serve.server.password = config::Secret(*password);
  if (host) serve.server.broker_host = *host;
  if (report) serve.report = *report;
  if (client_id) serve.server.client_id = *client_id;
  if (log_level) {
    static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
    bool ok = false;
    for (const auto level : kLevels) ok = ok || level == *log_level;
    if (!ok) {
      error = "--log-level: expected trace, debug, info, warn, error or off, got '" + *log_level + "'";
      return result;
    }
    serve.log_level = *log_level;
  }
  result.command = std::move(serve);
  return result;
}

}  // namespace otagw::cloudsim
