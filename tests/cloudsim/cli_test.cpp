// otagw-cloudsim's command line (CLI11): both option spellings, --help on
// every command, usage errors; then the binary's exit codes for them.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/cloudsim/sim_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tools/cloudsim/cli.hpp"

using namespace otagw::cloudsim;

namespace {

std::variant<Command, CliStop> parse(const std::vector<std::string_view>& args) { return parse_command_line(args); }

template <typename T>
T command_of(const std::vector<std::string_view>& args) {
  auto parsed = parse(args);
  if (const auto* stop = std::get_if<CliStop>(&parsed)) FAIL("not a command: " << stop->text);
  auto& command = std::get<Command>(parsed);
  REQUIRE(std::holds_alternative<T>(command));
  return std::get<T>(std::move(command));
}

CliStop stop_of(const std::vector<std::string_view>& args) {
  auto parsed = parse(args);
  REQUIRE(std::holds_alternative<CliStop>(parsed));
  return std::get<CliStop>(std::move(parsed));
}

// The usage error's first line, without the "Run ... --help" hint.
std::string usage_error(const std::vector<std::string_view>& args) {
  const CliStop stop = stop_of(args);
  CHECK(stop.kind == CliStop::Kind::usage_error);
  CHECK(stop.text.find("--help' for the usage.\n") != std::string::npos);
  return stop.text.substr(0, stop.text.find('\n'));
}

}  // namespace

TEST_CASE("cli: options take --name value and --name=value, before or after the scenario", "[unit][cloudsim]") {
  const auto spaced = command_of<RunCommand>({"run", "s.yaml", "--table", "plain", "--keep", "/tmp/k"});
  CHECK(spaced.scenario == "s.yaml");
  CHECK(spaced.table == "plain");
  CHECK(spaced.keep == std::filesystem::path("/tmp/k"));
  CHECK_FALSE(spaced.report);
  CHECK(spaced.log_level == "info");

  const auto joined =
      command_of<RunCommand>({"run", "--table=plain", "--log-level=debug", "s.yaml", "--report=r.json"});
  CHECK(joined.scenario == "s.yaml");
  CHECK(joined.table == "plain");
  CHECK(joined.log_level == "debug");
  CHECK(joined.report == std::filesystem::path("r.json"));
  CHECK_FALSE(joined.keep);

  const auto serve = command_of<ServeCommand>({"serve", "--scenario=s.yaml", "--broker-port=1884", "--username", "u",
                                               "--password=p w", "--http-port=8080", "--firmware-host=10.0.0.5"});
  CHECK(serve.scenario == "s.yaml");
  CHECK(serve.server.broker_port == 1884);
  CHECK(serve.server.broker_host == "127.0.0.1");
  CHECK(serve.server.username == "u");
  CHECK(serve.server.password.reveal() == "p w");
  CHECK(serve.server.client_id == "otagw-cloudsim");
  CHECK(serve.firmware.http_port == 8080);
  CHECK(serve.firmware.https_port == 0);
  CHECK(serve.firmware.host == "10.0.0.5");
  CHECK(serve.table == "off");

  const auto config = command_of<ConfigCommand>(
      {"config", "--scenario", "s.yaml", "--broker-port", "1883", "--state-dir=/var/x", "--output=o.yaml"});
  CHECK(config.broker_port == 1883);
  CHECK(config.state_dir == "/var/x");
  CHECK(config.output == std::filesystem::path("o.yaml"));
  CHECK_FALSE(config.ca_file);

  CHECK(command_of<DevicesFileCommand>({"devices-file", "--scenario=s.yaml"}).scenario == "s.yaml");
}

TEST_CASE("cli: --help on every command is help, not an error", "[unit][cloudsim]") {
  for (const std::string_view command : {"run", "config", "serve", "devices-file"}) {
    INFO(command);
    for (const std::string_view flag : {"--help", "-h"}) {
      const CliStop stop = stop_of({command, flag});
      CHECK(stop.kind == CliStop::Kind::help);
      CHECK(stop.text.find("Usage: otagw-cloudsim " + std::string(command)) != std::string::npos);
    }
    // Also after other options, even incomplete ones.
    CHECK(stop_of({command, "--scenario=x", "--help"}).kind == CliStop::Kind::help);
  }
  CHECK(stop_of({"run", "--help"}).text.find("Exit 0: otagwd exited 0") != std::string::npos);
  for (const std::string_view top : {"--help", "-h", "help"}) {
    const CliStop stop = stop_of({top});
    CHECK(stop.kind == CliStop::Kind::help);
    CHECK(stop.text.find("Usage: otagw-cloudsim [OPTIONS] SUBCOMMAND") != std::string::npos);
    CHECK(stop.text.find("devices-file") != std::string::npos);
  }
}

TEST_CASE("cli: usage errors name the command or option", "[unit][cloudsim]") {
  CHECK(usage_error({}) == "otagw-cloudsim: A subcommand is required");
  CHECK(usage_error({"bogus"}) == "otagw-cloudsim: unknown command 'bogus'");
  CHECK(usage_error({"run"}) == "otagw-cloudsim: SCENARIO is required");
  CHECK(usage_error({"run", "s.yaml", "--table=fancy"}) ==
        "otagw-cloudsim: --table: expected auto, live, plain or off, got 'fancy'");
  CHECK(usage_error({"run", "s.yaml", "--log-level", "loud"}) ==
        "otagw-cloudsim: --log-level: expected trace, debug, info, warn, error or off, got 'loud'");
  CHECK(usage_error({"run", "s.yaml", "--keep"}).starts_with("otagw-cloudsim: --keep: "));
  CHECK(usage_error({"run", "s.yaml", "--keep", ""}) == "otagw-cloudsim: --keep: must not be empty");
  CHECK(usage_error({"run", "s.yaml", "--table", "plain", "--table", "off"}).starts_with("otagw-cloudsim: --table: "));
  CHECK(usage_error({"run", "s.yaml", "--nope"}).find("--nope") != std::string::npos);
  CHECK(usage_error({"run", "s.yaml", "other.yaml"}).find("other.yaml") != std::string::npos);
  CHECK(usage_error({"config", "--scenario", "s", "--state-dir", "d"}) ==
        "otagw-cloudsim: --broker-port is required");
  CHECK(usage_error({"config", "--scenario", "s", "--state-dir", "d", "--broker-port", "70000"}) ==
        "otagw-cloudsim: --broker-port: expected a port number 1..65535, got '70000'");
  const std::vector<std::string_view> serve = {"serve", "--scenario", "s", "--broker-port", "1", "--username", "u",
                                               "--password", "p"};
  auto with = [&serve](std::initializer_list<std::string_view> extra) {
    auto args = serve;
    args.insert(args.end(), extra);
    return usage_error(args);
  };
  CHECK(with({"--http-port=8080", "--https-port", "8080"}) ==
        "otagw-cloudsim: --http-port and --https-port: the same port 8080 twice");
  CHECK(with({"--firmware-host=0.0.0.0"}).starts_with("otagw-cloudsim: --firmware-host: expected this machine's IPv4"));
  CHECK(with({"--https-port=0"}) == "otagw-cloudsim: --https-port: expected a port number 1..65535, got '0'");
  // The hint names the command that was being read.
  CHECK(stop_of({"serve"}).text.find("Run 'otagw-cloudsim serve --help'") != std::string::npos);
}

TEST_CASE("cli: the binary exits 0 on --help, 2 on a usage error, and takes --name=value", "[integration][cloudsim]") {
  otagw::test_support::TempDir dir("otagw-cloudsim-cli");
  using otagw::cloudsim_test::run_sim;

  const auto help = run_sim({"run", "--help"}, dir.path());
  CHECK(help.status == 0);
  CHECK(help.out.find("Usage: otagw-cloudsim run [OPTIONS] SCENARIO") != std::string::npos);
  CHECK(help.err.empty());

  const auto usage = run_sim({"run", "s.yaml", "--table=fancy"}, dir.path());
  CHECK(usage.status == 2);
  CHECK(usage.out.empty());
  CHECK(usage.err.find("--table: expected auto, live, plain or off, got 'fancy'") != std::string::npos);

  CHECK(run_sim({}, dir.path()).status == 2);

  std::ofstream(dir.path() / "s.yaml")
      << "gateway: {product_key: a1GwProd01, device_name: gw-0001, device_secret: s3}\n";
  const auto devices = run_sim({"devices-file", "--scenario=" + (dir.path() / "s.yaml").string()}, dir.path());
  INFO(devices.err);
  CHECK(devices.status == 0);
  CHECK(devices.out.find("\na1GwProd01 gw-0001 s3\n") != std::string::npos);
}
