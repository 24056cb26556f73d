#include "tools/cloudsim/cli.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <map>

namespace otagw::cloudsim {
namespace {

constexpr std::string_view kUsage =
    "usage:\n"
    "  otagw-cloudsim run SCENARIO [--otagwd PATH] [--keep DIR] [--report FILE] [--table MODE]\n"
    "                     [--log-level LEVEL]\n"
    "      Start mosquitto (with the platform sign-in plugin), the simulated platform and its\n"
    "      firmware server, and `otagwd --once` with the matching config; show the devices'\n"
    "      progress, print the final table, write the report, stop everything.\n"
    "      Exit 0: otagwd exited 0 and every expectation holds; 3: an expectation failed;\n"
    "      4: otagwd failed; 1: something could not be started; 2: bad usage or scenario.\n"
    "  otagw-cloudsim config --scenario FILE --broker-port PORT --state-dir DIR [--ca-file PATH]\n"
    "                        [--work-dir DIR] [--broker-host HOST] [--output FILE]\n"
    "      Write the otagwd configuration that matches the scenario.\n"
    "  otagw-cloudsim serve --scenario FILE --broker-port PORT --username USER --password PASS\n"
    "                       [--broker-host HOST] [--report FILE] [--client-id ID] [--log-level LEVEL]\n"
    "                       [--work-dir DIR] [--table MODE] [--firmware-host IPV4]\n"
    "                       [--http-port PORT] [--https-port PORT]\n"
    "      Play the IoT platform for the scenario's gateway on a local broker. Prints\n"
    "      'firmware-ca PATH' (when packages are served over HTTPS), then 'ready' once\n"
    "      subscribed; on SIGTERM/SIGINT writes the JSON report (--report) and exits 0, or 3\n"
    "      when an expectation of the scenario failed.\n"
    "      Exit 1: no connection within 10 s, the login refused, or a package or firmware\n"
    "      port that cannot be served; exit 2: bad usage or scenario.\n"
    "      The firmware server listens on --firmware-host (default 127.0.0.1), which the\n"
    "      offers' URLs name; ports 80 and 443 are left out of the URLs (the Linkkit v3.2\n"
    "      SDK cannot fetch a URL with a port).\n"
    "  otagw-cloudsim devices-file --scenario FILE\n"
    "      Print the broker auth plugin's devices file line for the scenario's gateway.\n"
    "  otagw-cloudsim --help\n"
    "MODE: auto (live on a terminal, else plain lines), live, plain, off.\n";

std::optional<std::uint16_t> port_number(const std::string& text) {
  unsigned number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end != text.data() + text.size() || number == 0 || number > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(number);
}

// An address a device can fetch from: it is also the offers' URL host, so not
// 0.0.0.0 ("listen everywhere"), broadcast or multicast.
bool is_unicast_ipv4(const std::string& text) {
  in_addr address{};
  if (::inet_pton(AF_INET, text.c_str(), &address) != 1) return false;
  const std::uint32_t host_order = ntohl(address.s_addr);
  return host_order != 0 && host_order != 0xffffffffU && (host_order >> 28) != 0xe;
}

bool valid_level(const std::string& level) {
  static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
  for (const auto known : kLevels) {
    if (known == level) return true;
  }
  return false;
}

bool valid_table(const std::string& mode) {
  return mode == "auto" || mode == "live" || mode == "plain" || mode == "off";
}

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
  // `run` takes the scenario as its first argument.
  std::span<const std::string_view> rest = args.subspan(1);
  std::string positional;
  if (command == "run" && !rest.empty() && !rest.front().starts_with("--")) {
    positional = rest.front();
    rest = rest.subspan(1);
  }
  if (!collect(rest, options, error)) return result;

  if (command == "run") {
    if (!check_known(options, {"otagwd", "keep", "report", "table", "log-level"}, error)) return result;
    if (positional.empty()) {
      error = "run needs the scenario file: otagw-cloudsim run SCENARIO";
      return result;
    }
    RunCommand run;
    run.scenario = positional;
    const auto otagwd = take(options, "otagwd", false, error);
    const auto keep = take(options, "keep", false, error);
    const auto report = take(options, "report", false, error);
    const auto table = take(options, "table", false, error);
    const auto log_level = take(options, "log-level", false, error);
    if (!error.empty()) return result;
    if (otagwd) run.otagwd = *otagwd;
    if (keep) run.keep = *keep;
    if (report) run.report = *report;
    if (table && !valid_table(*table)) {
      error = "--table: expected auto, live, plain or off, got '" + *table + "'";
      return result;
    }
    if (table) run.table = *table;
    if (log_level && !valid_level(*log_level)) {
      error = "--log-level: expected trace, debug, info, warn, error or off, got '" + *log_level + "'";
      return result;
    }
    if (log_level) run.log_level = *log_level;
    result.command = std::move(run);
    return result;
  }

  if (command == "config") {
    if (!check_known(options, {"scenario", "broker-host", "broker-port", "state-dir", "ca-file", "work-dir", "output"},
                     error)) {
      return result;
    }
    ConfigCommand config;
    const auto scenario = take(options, "scenario", true, error);
    const auto port = take(options, "broker-port", true, error);
    const auto state_dir = take(options, "state-dir", true, error);
    const auto host = take(options, "broker-host", false, error);
    const auto ca_file = take(options, "ca-file", false, error);
    const auto work_dir = take(options, "work-dir", false, error);
    const auto output = take(options, "output", false, error);
    if (!error.empty()) return result;
    const auto number = port_number(*port);
    if (!number) {
      error = "--broker-port: expected a port number 1..65535, got '" + *port + "'";
      return result;
    }
    config.scenario = *scenario;
    config.broker_port = *number;
    config.state_dir = *state_dir;
    if (host) config.broker_host = *host;
    if (ca_file) config.ca_file = *ca_file;
    if (work_dir) config.work_dir = *work_dir;
    if (output) config.output = *output;
    result.command = std::move(config);
    return result;
  }

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
                   {"scenario", "broker-host", "broker-port", "username", "password", "report", "client-id", "log-level",
                    "work-dir", "table", "firmware-host", "http-port", "https-port"},
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
  const auto work_dir = take(options, "work-dir", false, error);
  const auto table = take(options, "table", false, error);
  const auto firmware_host = take(options, "firmware-host", false, error);
  const auto http_port = take(options, "http-port", false, error);
  const auto https_port = take(options, "https-port", false, error);
  if (!error.empty()) return result;

  serve.scenario = *scenario;
  if (firmware_host) {
    if (!is_unicast_ipv4(*firmware_host)) {
      error = "--firmware-host: expected this machine's IPv4 address as devices reach it (e.g. 192.168.1.10; "
              "not 0.0.0.0, broadcast or multicast), got '" + *firmware_host + "'";
      return result;
    }
    serve.firmware.host = *firmware_host;
  }
  const auto take_port = [&error](const char* flag, const std::optional<std::string>& text, std::uint16_t& into) {
    if (!text) return true;
    const auto parsed = port_number(*text);
    if (!parsed) {
      error = std::string(flag) + ": expected a port number 1..65535, got '" + *text + "'";
      return false;
    }
    into = *parsed;
    return true;
  };
  if (!take_port("--http-port", http_port, serve.firmware.http_port) ||
      !take_port("--https-port", https_port, serve.firmware.https_port)) {
    return result;
  }
  if (serve.firmware.http_port != 0 && serve.firmware.http_port == serve.firmware.https_port) {
    error = "--http-port and --https-port: the same port " + std::to_string(serve.firmware.http_port) + " twice";
    return result;
  }
  const auto number = port_number(*port);
  if (!number) {
    error = "--broker-port: expected a port number 1..65535, got '" + *port + "'";
    return result;
  }
  serve.server.broker_port = *number;
  if (work_dir) serve.work_dir = *work_dir;
  if (table && !valid_table(*table)) {
    error = "--table: expected auto, live, plain or off, got '" + *table + "'";
    return result;
  }
  if (table) serve.table = *table;
  serve.server.username = *username;
  serve.server.password = config::Secret(*password);
  if (host) serve.server.broker_host = *host;
  if (report) serve.report = *report;
  if (client_id) serve.server.client_id = *client_id;
  if (log_level) {
    if (!valid_level(*log_level)) {
      error = "--log-level: expected trace, debug, info, warn, error or off, got '" + *log_level + "'";
      return result;
    }
    serve.log_level = *log_level;
  }
  result.command = std::move(serve);
  return result;
}

}  // namespace otagw::cloudsim
