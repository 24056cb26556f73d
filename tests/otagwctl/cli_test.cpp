// otagwctl as a program against a scripted daemon (fake_daemon.hpp): the
// requests it sends, what it prints, its exit codes (0 done, 1 refused,
// 2 usage, 3 unreachable).
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/otagwctl/fake_daemon.hpp"
#include "tests/otagwctl/otagwctl_run.hpp"
#include "tests/otagwctl/status_samples.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace otagw::ctl_test;
using otagw::test_support::TempDir;
using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Runs otagwctl with `args` against `daemon`, which reads its request and
// answers with `lines` (then closes). Returns the outcome; `request` gets
// what otagwctl sent.
Outcome exchange(FakeDaemon& daemon, const TempDir& dir, std::vector<std::string> args,
                 const std::vector<std::string>& lines, std::string* request = nullptr) {
  args.insert(args.begin(), {"--socket", daemon.socket().string()});
  auto process = start_otagwctl(std::move(args), dir.path());
  const auto received = daemon.accept_request();
  REQUIRE(received);
  if (request) *request = *received;
  for (const auto& line : lines) daemon.send(line);
  daemon.close_connection();
  return finish(*process);
}

}  // namespace

TEST_CASE("Usage errors exit 2, --help and --version exit 0", "[integration]") {
  TempDir dir("otagwctl-cli");
  const std::vector<std::vector<std::string>> usage_errors = {
      {},
      {"frobnicate"},
      {"status", "--frobnicate"},
      {"check"},
      {"check", "a/b", "c/d"},
      {"check", "nodevice"},
      {"check", "/sub-1"},
      {"--socket", "/a", "--config", "/b", "status"},
      {"--timeout", "0", "status"},
      {"--timeout", "soon", "status"},
      {"sweep", "now"},
      {"status", "sweep"},
  };
  for (const auto& args : usage_errors) {
    CAPTURE(args);
    const Outcome outcome = run_otagwctl(args, dir.path());
    CHECK(outcome.code == 2);
    CHECK_FALSE(outcome.err.empty());
  }
  const Outcome help = run_otagwctl({"--help"}, dir.path());
  CHECK(help.code == 0);
  CHECK(contains(help.out, "status"));
  CHECK(contains(help.out, "reload"));
  CHECK(run_otagwctl({"status", "--help"}, dir.path()).code == 0);
  const Outcome version = run_otagwctl({"--version"}, dir.path());
  CHECK(version.code == 0);
  CHECK_FALSE(version.out.empty());
}

TEST_CASE("A config file: otagwctl talks to the socket that control.socket names, relative to the file", "[integration]") {
  TempDir dir("otagwctl-cli");
  std::filesystem::create_directories(dir.path() / "etc" / "run");
  FakeDaemon daemon(dir.path() / "etc" / "run" / "ctl.sock");
  // The rest of the config is not otagwd's business here: nothing else is read.
  std::ofstream(dir.path() / "etc" / "gateway.yaml") << "gateway: {secrets: [unreadable]}\ncontrol:\n  socket: run/ctl.sock\n";
  auto process = start_otagwctl({"--config", (dir.path() / "etc" / "gateway.yaml").string(), "sweep"}, dir.path());
  REQUIRE(daemon.accept_request() == R"({"v":1,"cmd":"sweep"})");
  daemon.send(answer_line("sweep", {{"started", true}}));
  CHECK(finish(*process).code == 0);
}

TEST_CASE("A config file: a file that cannot be read or has no usable control.socket exits 2 saying why", "[integration]") {
  TempDir dir("otagwctl-cli");
  const Outcome missing = run_otagwctl({"--config", (dir.path() / "none.yaml").string(), "status"}, dir.path());
  CHECK(missing.code == 2);
  CHECK(contains(missing.err, "cannot read"));
  CHECK(contains(missing.err, "none.yaml"));

  std::ofstream(dir.path() / "off.yaml") << "control: {socket: ''}\n";
  const Outcome off = run_otagwctl({"--config", (dir.path() / "off.yaml").string(), "status"}, dir.path());
  CHECK(off.code == 2);
  CHECK(contains(off.err, "control socket is off"));
}

TEST_CASE("Unreachable: no socket, or nobody listening, exits 3 naming the socket and systemctl", "[integration]") {
  TempDir dir("otagwctl-cli");
  const std::string absent = (dir.path() / "absent.sock").string();
  for (const char* command : {"status", "sweep", "reload"}) {
    const Outcome outcome = run_otagwctl({"--socket", absent, command}, dir.path());
    CHECK(outcome.code == 3);
    CHECK(contains(outcome.err, absent));
    CHECK(contains(outcome.err, "systemctl status otagwd"));
  }
  CHECK(run_otagwctl({"--socket", absent, "status", "--watch"}, dir.path()).code == 3);

  // A socket file left behind by a daemon that is gone.
  const std::string stale = (dir.path() / "stale.sock").string();
  {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, stale.c_str());
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
    ::close(fd);
  }
  const Outcome outcome = run_otagwctl({"--socket", stale, "status"}, dir.path());
  CHECK(outcome.code == 3);
  CHECK(contains(outcome.err, "nothing listens on '" + stale + "'"));
}

TEST_CASE("Unreachable: a daemon that accepts and never answers exits 3 at the time-out", "[integration]") {
  TempDir dir("otagwctl-cli");
  FakeDaemon daemon(dir.path() / "otagw.sock");
  for (const auto& command : {std::vector<std::string>{"status"}, {"reload"}, {"status", "--watch"}}) {
    CAPTURE(command);
    std::vector<std::string> args = {"--socket", daemon.socket().string(), "--timeout", "0.5"};
    args.insert(args.end(), command.begin(), command.end());
    const auto started = std::chrono::steady_clock::now();
    auto process = start_otagwctl(args, dir.path());
    REQUIRE(daemon.accept_request());  // read, never answered
    const Outcome outcome = finish(*process);
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(outcome.code == 3);
    CHECK(contains(outcome.err, "did not answer"));
    CHECK(contains(outcome.err, "within 500 ms"));
    CHECK(took >= 500ms);
    CHECK(took < 20s);
  }
}

TEST_CASE("Unreachable: the connection closed before the answer exits 3", "[integration]") {
  TempDir dir("otagwctl-cli");
  FakeDaemon daemon(dir.path() / "otagw.sock");
  const Outcome outcome = exchange(daemon, dir, {"check", "p/d"}, {});
  CHECK(outcome.code == 3);
  CHECK(contains(outcome.err, "closed the connection"));
}

TEST_CASE("Permission denied on the socket exits 3 telling to be root or in group otagwctl", "[integration]") {
  TempDir dir("otagwctl-cli");
  std::filesystem::permissions(dir.path(), std::filesystem::perms::all | std::filesystem::perms::others_all);
  FakeDaemon daemon(dir.path() / "otagw.sock");
  std::vector<std::string> wrapper;
  if (::geteuid() == 0) {
    // Root passes every permission check: run otagwctl as nobody.
    wrapper = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"};
  }
  std::filesystem::permissions(daemon.socket(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto process = start_otagwctl({"--socket", daemon.socket().string(), "status"}, dir.path(), wrapper);
  const Outcome outcome = finish(*process);
  CHECK(outcome.code == 3);
  CHECK(contains(outcome.err, "permission denied on '" + daemon.socket().string() + "'"));
  CHECK(contains(outcome.err, "group otagwctl"));
}

TEST_CASE("status: the request, the table, --json the status object pretty, in the daemon's key order", "[integration]") {
  TempDir dir("otagwctl-cli");
  FakeDaemon daemon(dir.path() / "otagw.sock");
  const std::string answer = answer_line("status", {{"status", sample_status()}});
  std::string request;
  const Outcome table = exchange(daemon, dir, {"status"}, {answer}, &request);
  CHECK(request == R"({"v":1,"cmd":"status"})");
  CHECK(table.code == 0);
  CHECK(contains(table.out, "pass 3 running since"));
  CHECK(std::regex_search(table.out, std::regex("\na1B2c3D4e5F/sub-0001 +- +1\\.0\\.0 +downloading +42% -> 1\\.1\\.0 ")));
  CHECK(table.err.empty());

  // Keys in an order no sorting gives: the output keeps it.
  const std::string ordered = R"({"v":1,"ok":true,"cmd":"status","status":{"pass":{"running":false},"daemon":{"version":"0.4.0"},"devices":[],"connection":{"state":"connecting"}}})";
  const Outcome json = exchange(daemon, dir, {"status", "--json"}, {ordered});
  CHECK(json.code == 0);
  CHECK(json.out ==
        "{\n  \"pass\": {\n    \"running\": false\n  },\n  \"daemon\": {\n    \"version\": \"0.4.0\"\n  },\n"
        "  \"devices\": [],\n  \"connection\": {\n    \"state\": \"connecting\"\n  }\n}\n");
  CHECK(nlohmann::json::parse(exchange(daemon, dir, {"status", "--json"}, {answer}).out) == sample_status());
}

TEST_CASE("sweep, check and reload: the requests and what otagwctl says", "[integration]") {
  TempDir dir("otagwctl-cli");
  FakeDaemon daemon(dir.path() / "otagw.sock");
  std::string request;

  Outcome outcome = exchange(daemon, dir, {"sweep"}, {answer_line("sweep", {{"started", true}})}, &request);
  CHECK(request == R"({"v":1,"cmd":"sweep"})");
  CHECK(outcome.code == 0);
  CHECK(outcome.out == "a pass starts now\n");
  outcome = exchange(daemon, dir, {"sweep"}, {answer_line("sweep", {{"started", false}, {"pass", pass_object(true, 7)}})});
  CHECK(outcome.code == 0);
  CHECK(outcome.out == "pass 7 is running already; it goes on\n");

  outcome = exchange(daemon, dir, {"check", "a1B2c3D4e5F.sub.0001"},
                     {answer_line("check", {{"device", "a1B2c3D4e5F/sub.0001"}, {"position", 1}})}, &request);
  CHECK(request == R"({"v":1,"cmd":"check","device":"a1B2c3D4e5F/sub.0001"})");
  CHECK(outcome.code == 0);
  CHECK(outcome.out == "a1B2c3D4e5F/sub.0001 is visited next\n");
  outcome = exchange(daemon, dir, {"check", "p/d"}, {answer_line("check", {{"device", "p/d"}, {"position", 3}})});
  CHECK(outcome.out == "p/d is queued: 2 checks come before it\n");

  outcome = exchange(daemon, dir, {"reload"},
                     {answer_line("reload", {{"changed", {"subdevices"}},
                                             {"added", {"p/new"}},
                                             {"removed", {"p/old"}},
                                             {"updated", nlohmann::json::array()},
                                             {"reconnect", false},
                                             {"pending", true},
                                             {"warnings", {"ota.state_dir"}}})},
                     &request);
  CHECK(request == R"({"v":1,"cmd":"reload"})");
  CHECK(outcome.code == 0);
  CHECK(outcome.out ==
        "reloaded: changed subdevices\nadded: p/new\nremoved: p/old\n"
        "the sub-devices change once the visit under way is done\n"
        "warning: ota.state_dir applies only at a restart\n");
}

TEST_CASE("Refused by the daemon: exit 1, the reason on stderr", "[integration]") {
  TempDir dir("otagwctl-cli");
  FakeDaemon daemon(dir.path() / "otagw.sock");
  Outcome outcome = exchange(daemon, dir, {"check", "p/sub-9"},
                             {error_line("check", "unknown_device", "no sub-device p/sub-9 in the configuration")});
  CHECK(outcome.code == 1);
  CHECK(outcome.out.empty());
  CHECK(contains(outcome.err, "no sub-device p/sub-9 in the configuration (unknown_device)"));

  outcome = exchange(daemon, dir, {"reload"},
                     {error_line("reload", "reload_refused", "the new configuration has 2 errors",
                                 {{"errors",
                                   {"/etc/otagw/gateway.yaml:3: mqtt.port: expected 1-65535",
                                    "/etc/otagw/gateway.yaml:9: subdevices[1].plugin: unknown plugin 'uart2'"}}})});
  CHECK(outcome.code == 1);
  CHECK(outcome.err ==
        "otagwctl: otagwd refused the new configuration and keeps the old one:\n"
        "/etc/otagw/gateway.yaml:3: mqtt.port: expected 1-65535\n"
        "/etc/otagw/gateway.yaml:9: subdevices[1].plugin: unknown plugin 'uart2'\n");

  outcome = exchange(daemon, dir, {"reload"}, {error_line("reload", "reload_busy", "a reload is being validated")});
  CHECK(outcome.code == 1);
  CHECK(contains(outcome.err, "try again"));
}

TEST_CASE("Refused on connect (not_permitted), before the request was read: exit 1 with the group hint", "[integration]") {
  TempDir dir("otagwctl-cli");
  FakeDaemon daemon(dir.path() / "otagw.sock");
  auto process = start_otagwctl({"--socket", daemon.socket().string(), "sweep"}, dir.path());
  REQUIRE(daemon.accept());
  daemon.send(R"({"v":1,"ok":false,"error":{"code":"not_permitted","message":"uid 1000 may not use the control socket"}})");
  daemon.close_connection();
  const Outcome outcome = finish(*process);
  CHECK(outcome.code == 1);
  CHECK(contains(outcome.err, "uid 1000 may not use the control socket (not_permitted)"));
  CHECK(contains(outcome.err, "group otagwctl"));
}

TEST_CASE("watch without a terminal: a timestamped line per change, exit 0 on SIGTERM and SIGINT", "[integration]") {
  TempDir dir("otagwctl-cli");
  FakeDaemon daemon(dir.path() / "otagw.sock");
  for (const int signal_number : {SIGTERM, SIGINT}) {
    auto process = start_otagwctl({"--socket", daemon.socket().string(), "status", "--watch"}, dir.path());
    REQUIRE(daemon.accept_request() == R"({"v":1,"cmd":"watch"})");
    daemon.send(answer_line("watch", {{"status", sample_status()}}));
    REQUIRE(process->wait_for_stdout("sub-0001: downloading 1.1.0: 40%", 20s));
    RowSpec row{"sub-0001", "downloading"};
    row.target = "1.1.0";
    for (const int percent : {44, 47, 51, 58, 63}) {
      row.progress = percent;
      daemon.send(device_event(row));
    }
    REQUIRE(process->wait_for_stdout("sub-0001: downloading 1.1.0: 60%", 20s));
    daemon.send(R"({"v":1,"event":"pass","pass":{"running":false,"number":3,"ended":"2026-12-07T16:05:40Z","last_summary":"3 visited"}})");
    REQUIRE(process->wait_for_stdout("pass 3 ended", 20s));
    process->signal(signal_number);
    const Outcome outcome = finish(*process);
    CHECK(outcome.code == 0);
    CHECK(outcome.err.empty());
    std::istringstream lines(outcome.out);
    std::vector<std::string> said;
    for (std::string line; std::getline(lines, line);) {
      CHECK(std::regex_search(line, std::regex("^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d ")));
      if (contains(line, "sub-0001")) said.push_back(line.substr(20));
    }
    CHECK(said == std::vector<std::string>{"a1B2c3D4e5F/sub-0001: downloading 1.1.0: 40%",
                                          "a1B2c3D4e5F/sub-0001: downloading 1.1.0: 50%",
                                          "a1B2c3D4e5F/sub-0001: downloading 1.1.0: 60%"});
    CHECK(outcome.out.find('\x1b') == std::string::npos);
  }
}

TEST_CASE("watch: the daemon going away ends it with exit 3", "[integration]") {
  TempDir dir("otagwctl-cli");
  FakeDaemon daemon(dir.path() / "otagw.sock");
  auto process = start_otagwctl({"--socket", daemon.socket().string(), "status", "--watch"}, dir.path());
  REQUIRE(daemon.accept_request());
  daemon.send(answer_line("watch", {{"status", sample_status()}}));
  REQUIRE(process->wait_for_stdout("pass 3 running", 20s));
  daemon.close_connection();
  const Outcome outcome = finish(*process);
  CHECK(outcome.code == 3);
  CHECK(contains(outcome.err, "closed the watch connection"));
}

TEST_CASE("watch --json: the daemon's lines as they come, one JSON object a line", "[integration]") {
  TempDir dir("otagwctl-cli");
  FakeDaemon daemon(dir.path() / "otagw.sock");
  auto process = start_otagwctl({"--socket", daemon.socket().string(), "status", "--watch", "--json"}, dir.path());
  REQUIRE(daemon.accept_request());
  const std::string answer = answer_line("watch", {{"status", sample_status()}});
  RowSpec row{"sub-0001", "downloading"};
  row.progress = 43;
  const std::string event = device_event(row);
  daemon.send(answer);
  daemon.send(event);
  REQUIRE(process->wait_for_stdout("\"progress\":43", 20s));
  process->signal(SIGTERM);
  const Outcome outcome = finish(*process);
  CHECK(outcome.code == 0);
  CHECK(outcome.out == answer + "\n" + event + "\n");
}
