#include "tools/cloudsim/cli.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <functional>
#include <vector>

#include <CLI/CLI.hpp>

namespace otagw::cloudsim {
namespace {

constexpr std::string_view kTableModes = "MODE: auto (live on a terminal, else plain lines), live, plain, off.";

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

// CLI11 validators: "" when the text is fine, else the message, which CLI11
// prefixes with the option ("--http-port: expected ..."). They run before the
// text is converted, so a port check comes before "could not convert".
CLI::Validator check(std::function<std::string(std::string&)> rule) { return CLI::Validator(std::move(rule), ""); }

CLI::Validator port_check() {
  return check([](std::string& text) {
    return port_number(text) ? std::string() : "expected a port number 1..65535, got '" + text + "'";
  });
}

CLI::Validator non_empty_check() {
  return check([](std::string& text) { return text.empty() ? std::string("must not be empty") : std::string(); });
}

CLI::Validator table_check() {
  return check([](std::string& mode) {
    return mode == "auto" || mode == "live" || mode == "plain" || mode == "off"
               ? std::string()
               : "expected auto, live, plain or off, got '" + mode + "'";
  });
}

CLI::Validator level_check() {
  return check([](std::string& level) {
    for (const std::string_view known : {"trace", "debug", "info", "warn", "error", "off"}) {
      if (known == level) return std::string();
    }
    return "expected trace, debug, info, warn, error or off, got '" + level + "'";
  });
}

CLI::Validator firmware_host_check() {
  return check([](std::string& host) {
    return is_unicast_ipv4(host) ? std::string()
                                 : "expected this machine's IPv4 address as devices reach it (e.g. 192.168.1.10; "
                                   "not 0.0.0.0, broadcast or multicast), got '" + host + "'";
  });
}

// A text option ("--keep DIR"); empty values are refused, as a path or a name
// is never empty.
template <typename T>
CLI::Option* text_option(CLI::App& app, const std::string& name, T& into, const std::string& type,
                         const std::string& help) {
  return app.add_option(name, into, help)->type_name(type)->check(non_empty_check());
}

struct Parsed {
  ServeCommand serve;
  ConfigCommand config;
  DevicesFileCommand devices_file;
  RunCommand run;
  std::string password;  // serve's, until it becomes a Secret
};

void add_run(CLI::App& app, RunCommand& run) {
  auto* command =
      app.add_subcommand("run", "Run otagwd --once against a local broker and platform; check the scenario.");
  text_option(*command, "SCENARIO", run.scenario, "FILE", "the scenario file (docs/simulator.md)")->required();
  text_option(*command, "--otagwd", run.otagwd, "PATH", "the otagwd to run (default: the built or installed one)");
  text_option(*command, "--keep", run.keep, "DIR", "work in DIR and keep it (default: a temporary directory)");
  text_option(*command, "--report", run.report, "FILE", "also write the JSON report here");
  text_option(*command, "--table", run.table, "MODE", "how to show progress")
      ->check(table_check())
      ->capture_default_str();
  text_option(*command, "--log-level", run.log_level, "LEVEL", "the simulator's log (WORK/cloudsim.log)")
      ->check(level_check())
      ->capture_default_str();
  command->footer(
      "Start mosquitto (with the platform sign-in plugin), the simulated platform and its firmware\n"
      "server, and `otagwd --once` with the matching config; show the devices' progress, print the\n"
      "final table, write the report, stop everything.\n" +
      std::string(kTableModes) +
      "\nLEVEL: trace, debug, info, warn, error, off.\n"
      "Exit 0: otagwd exited 0 (or 6 where the scenario expects a failed job) and every\n"
      "expectation holds; 3: an expectation failed; 4: otagwd failed otherwise; 1: something\n"
      "could not be started; 2: bad usage or scenario.");
}

void add_config(CLI::App& app, ConfigCommand& config) {
  auto* command = app.add_subcommand("config", "Write the otagwd configuration that matches the scenario.");
  text_option(*command, "--scenario", config.scenario, "FILE", "the scenario file")->required();
  command->add_option("--broker-port", config.broker_port, "the broker's port")
      ->type_name("PORT")
      ->check(port_check())
      ->required();
  text_option(*command, "--state-dir", config.state_dir, "DIR", "otagwd's ota.state_dir")->required();
  text_option(*command, "--ca-file", config.ca_file, "PATH", "the CA of the firmware server (HTTPS packages)");
  text_option(*command, "--work-dir", config.work_dir, "DIR", "${work} in params (default: the state dir's parent)");
  text_option(*command, "--broker-host", config.broker_host, "HOST", "the broker's address")->capture_default_str();
  text_option(*command, "--output", config.output, "FILE", "write it here, mode 0600 (default: stdout)");
  command->footer("Exit 0: written; 1: the file could not be written; 2: bad usage, or a scenario that lacks\n"
                  "what the config needs (a version, a plugin).");
}

void add_serve(CLI::App& app, ServeCommand& serve, std::string& password) {
  auto* command = app.add_subcommand("serve", "Play the IoT platform for the scenario's gateway on a local broker.");
  text_option(*command, "--scenario", serve.scenario, "FILE", "the scenario file")->required();
  command->add_option("--broker-port", serve.server.broker_port, "the broker's port")
      ->type_name("PORT")
      ->check(port_check())
      ->required();
  text_option(*command, "--username", serve.server.username, "USER", "the auth plugin's platform_username")
      ->required();
  text_option(*command, "--password", password, "PASS", "the auth plugin's platform_password")->required();
  text_option(*command, "--broker-host", serve.server.broker_host, "HOST", "the broker's address")
      ->capture_default_str();
  text_option(*command, "--report", serve.report, "FILE", "write the JSON report here at exit");
  text_option(*command, "--client-id", serve.server.client_id, "ID", "the MQTT client id")->capture_default_str();
  text_option(*command, "--log-level", serve.log_level, "LEVEL", "the log on stderr (debug: every message)")
      ->check(level_check())
      ->capture_default_str();
  text_option(*command, "--work-dir", serve.work_dir, "DIR",
              "generated packages and the firmware PKI (default: a temporary directory)");
  text_option(*command, "--table", serve.table, "MODE", "the devices' table on stdout")
      ->check(table_check())
      ->capture_default_str();
  text_option(*command, "--firmware-host", serve.firmware.host, "IPV4", "the firmware server's address")
      ->check(firmware_host_check())
      ->capture_default_str();
  command->add_option("--http-port", serve.firmware.http_port, "the firmware server's HTTP port (default: a free one)")
      ->type_name("PORT")
      ->check(port_check());
  command->add_option("--https-port", serve.firmware.https_port,
                      "the firmware server's HTTPS port (default: a free one)")
      ->type_name("PORT")
      ->check(port_check());
  command->footer(
      "Prints 'firmware-ca PATH' (when packages are served over HTTPS), then 'ready' once\n"
      "subscribed; on SIGTERM/SIGINT writes the JSON report (--report) and exits.\n"
      "The firmware server listens on --firmware-host, which the offers' URLs name; ports 80\n"
      "and 443 are left out of the URLs (the Linkkit v3.2 SDK cannot fetch a URL with a port).\n" +
      std::string(kTableModes) +
      "\nLEVEL: trace, debug, info, warn, error, off.\n"
      "Exit 0: stopped by a signal; 3: an expectation of the scenario failed; 1: no connection\n"
      "within 10 s, the login refused, a package or firmware port that cannot be served, or the\n"
      "report not written; 2: bad usage or scenario.");
}

void add_devices_file(CLI::App& app, DevicesFileCommand& devices_file) {
  auto* command = app.add_subcommand(
      "devices-file", "Print the broker auth plugin's devices file line for the scenario's gateway.");
  text_option(*command, "--scenario", devices_file.scenario, "FILE", "the scenario file")->required();
  command->footer("Exit 0: printed; 2: bad usage or scenario.");
}

// The command (if any) the failed parse got to, for the hint.
std::string command_name(const CLI::App& app) {
  const auto commands = app.get_subcommands();
  return commands.empty() ? std::string() : commands.front()->get_name() + " ";
}

}  // namespace

std::variant<Command, CliStop> parse_command_line(std::span<const std::string_view> args) {
  CLI::App app("otagw-cloudsim: a local stand-in for the Alibaba Cloud IoT Platform (docs/simulator.md).",
               "otagw-cloudsim");
  app.require_subcommand(1);
  app.get_formatter()->column_width(34);  // before the subcommands: they copy it
  app.footer("Run 'otagw-cloudsim COMMAND --help' for a command's options and exit codes.");
  Parsed parsed;
  add_run(app, parsed.run);
  add_config(app, parsed.config);
  add_serve(app, parsed.serve, parsed.password);
  add_devices_file(app, parsed.devices_file);
  // `otagw-cloudsim help`, as --help (hidden).
  const CLI::App* help = app.add_subcommand("help", "")->group("");
  const std::string main_help = app.help();

  // CLI11 would only say "A subcommand is required".
  if (!args.empty() && !args.front().starts_with('-') &&
      app.get_subcommands([&](CLI::App* command) { return command->get_name() == args.front(); }).empty()) {
    return CliStop{CliStop::Kind::usage_error, "otagw-cloudsim: unknown command '" + std::string(args.front()) +
                                                   "'\nRun 'otagw-cloudsim --help' for the usage.\n"};
  }
  // CLI11 takes the arguments last first.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    return CliStop{CliStop::Kind::help, app.help()};
  } catch (const CLI::CallForAllHelp&) {
    return CliStop{CliStop::Kind::help, app.help("", CLI::AppFormatMode::All)};
  } catch (const CLI::ParseError& e) {
    return CliStop{CliStop::Kind::usage_error, "otagw-cloudsim: " + std::string(e.what()) + "\nRun 'otagw-cloudsim " +
                                                   command_name(app) + "--help' for the usage.\n"};
  }
  if (help->parsed()) return CliStop{CliStop::Kind::help, main_help};

  const CLI::App& chosen = *app.get_subcommands().front();
  const std::string name = chosen.get_name();
  if (name == "run") return std::move(parsed.run);
  if (name == "config") return std::move(parsed.config);
  if (name == "devices-file") return std::move(parsed.devices_file);

  ServeCommand& serve = parsed.serve;
  if (serve.firmware.http_port != 0 && serve.firmware.http_port == serve.firmware.https_port) {
    return CliStop{CliStop::Kind::usage_error, "otagw-cloudsim: --http-port and --https-port: the same port " +
                                                   std::to_string(serve.firmware.http_port) +
                                                   " twice\nRun 'otagw-cloudsim serve --help' for the usage.\n"};
  }
  serve.server.password = config::Secret(std::move(parsed.password));
  return std::move(serve);
}

}  // namespace otagw::cloudsim
