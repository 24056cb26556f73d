// otagwd under a stand-in for journald: its stderr a stream socket named in
// JOURNAL_STREAM (as systemd connects a service), and a datagram socket of
// this test at /run/systemd/journal/socket, where sd_journal_sendv sends. The
// path is this test's only inside a user+mount namespace of otagwd's own
// (unshare -Urm, a tmpfs over /run): nothing reaches the machine's journal.
// The entries are read in journald's native protocol and checked for the
// fields `journalctl OTAGW_DEVICE=PK/DN` matches.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/subdev/cloud_fixture.hpp"
#include "tests/subdev/firmware_host.hpp"
#include "tests/subdev/job_report.hpp"

extern char** environ;

using namespace otagw::sweep_test;
using namespace std::chrono_literals;

namespace {

using Entry = std::map<std::string, std::string>;

// One datagram of the native protocol: "NAME=value\n" per field, or
// "NAME\n" + 64-bit little-endian length + value + "\n" for a value with a
// newline. Empty when malformed.
std::optional<Entry> parse_entry(const std::string& datagram) {
  Entry entry;
  std::size_t at = 0;
  while (at < datagram.size()) {
    const auto end = datagram.find('\n', at);
    if (end == std::string::npos) return std::nullopt;
    const std::string line = datagram.substr(at, end - at);
    if (const auto eq = line.find('='); eq != std::string::npos) {
      entry[line.substr(0, eq)] = line.substr(eq + 1);
      at = end + 1;
      continue;
    }
    if (datagram.size() < end + 1 + 8) return std::nullopt;
    std::uint64_t size = 0;
    for (int i = 7; i >= 0; --i) size = size << 8 | static_cast<unsigned char>(datagram[end + 1 + i]);
    const std::size_t value_at = end + 1 + 8;
    if (datagram.size() < value_at + size + 1 || datagram[value_at + size] != '\n') return std::nullopt;
    entry[line] = datagram.substr(value_at, size);
    at = value_at + size + 1;
  }
  return entry;
}

std::string describe(const Entry& entry) {
  std::string text;
  for (const auto& [name, value] : entry) text += name + "=" + value + " | ";
  return text;
}

struct JournalRun {
  std::optional<int> status;  // exit code (or 128 + signal); nullopt: killed after the time-out
  std::vector<Entry> entries;
  std::vector<std::string> malformed;
  std::string stream;  // what reached the stderr stream
};

// Runs `argv` inside a fresh user+mount namespace whose /run/systemd/journal
// is `journal_dir`, stderr a stream socket named in JOURNAL_STREAM, and
// collects what it sends to `journal_dir`/socket. Exit status 99: this
// machine makes no such namespace.
JournalRun run_under_journal(const std::filesystem::path& journal_dir, const std::vector<std::string>& command,
                             const std::filesystem::path& work_dir, const std::vector<std::string>& extra_env) {
  JournalRun run;
  const std::string socket_path = (journal_dir / "socket").string();
  const int journal = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  REQUIRE(journal >= 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  REQUIRE(socket_path.size() < sizeof(address.sun_path));
  std::strcpy(address.sun_path, socket_path.c_str());
  REQUIRE(::bind(journal, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);

  int stream[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stream) == 0);
  struct stat st {};
  REQUIRE(::fstat(stream[1], &st) == 0);
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  REQUIRE(null_fd >= 0);

  // Everything the child needs is made before fork: the test has threads
  // (the firmware server).
  const std::string script =
      "mount -t tmpfs tmpfs /run || exit 99\n"
      "mkdir -p /run/systemd/journal && mount --bind \"$0\" /run/systemd/journal || exit 99\n"
      "exec \"$@\"";
  std::vector<std::string> args{"/usr/bin/unshare", "-Urm", "/bin/sh", "-c", script, journal_dir.string()};
  args.insert(args.end(), command.begin(), command.end());
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!std::string_view(*e).starts_with("JOURNAL_STREAM=")) env_strings.emplace_back(*e);
  }
  env_strings.push_back("JOURNAL_STREAM=" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino));
  env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string dir = work_dir.string();

  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(null_fd, STDOUT_FILENO);
    ::dup2(stream[1], STDERR_FILENO);  // the same socket, so the same st_dev:st_ino
    if (::chdir(dir.c_str()) != 0) ::_exit(98);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(stream[1]);
  ::close(null_fd);

  auto drain = [&] {
    std::vector<char> buffer(1 << 20);
    for (;;) {
      const ssize_t n = ::recv(journal, buffer.data(), buffer.size(), 0);
      if (n < 0) break;
      const std::string datagram(buffer.data(), static_cast<std::size_t>(n));
      if (auto entry = parse_entry(datagram)) {
        run.entries.push_back(std::move(*entry));
      } else {
        run.malformed.push_back(datagram);
      }
    }
  };
  bool stream_open = true;
  const auto deadline = std::chrono::steady_clock::now() + 90s;
  for (;;) {
    pollfd fds[2] = {{journal, POLLIN, 0}, {stream[0], static_cast<short>(stream_open ? POLLIN : 0), 0}};
    ::poll(fds, 2, 100);
    drain();
    if (stream_open && (fds[1].revents & (POLLIN | POLLHUP)) != 0) {
      char chunk[4096];
      const ssize_t n = ::read(stream[0], chunk, sizeof(chunk));
      if (n > 0) run.stream.append(chunk, static_cast<std::size_t>(n));
      if (n == 0) stream_open = false;
    }
    int wstatus = 0;
    const pid_t done = ::waitpid(pid, &wstatus, WNOHANG);
    if (done == pid) {
      run.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &wstatus, 0);
      break;
    }
  }
  drain();
  char chunk[4096];
  ssize_t n = 0;
  while ((n = ::read(stream[0], chunk, sizeof(chunk))) > 0) run.stream.append(chunk, static_cast<std::size_t>(n));
  ::close(stream[0]);
  ::close(journal);
  return run;
}

const std::string kDevice0 = std::string(kSubProduct) + "/sub-0000";
const std::string kDevice1 = std::string(kSubProduct) + "/sub-0001";

}  // namespace

TEST_CASE("under systemd each line about a device carries OTAGW_DEVICE and the target version in the journal",
          "[integration][daemon][journal]") {
  otagw::test_support::TempDir files("otagw-fw");
  FirmwareHost host(files.path());
  const auto image = host.add("a.bin", 20000);
  CloudFixture cloud({device("sub-0000", files.path() / "dev0", by_query(firmware_yaml(host, image, "2.0.0"))),
                      device("sub-0001", files.path() / "dev1", "")},
                     recorder_options());
  otagw::test_support::TempDir journal_dir("otagw-journal");
  const auto run = run_under_journal(
      journal_dir.path(), {OTAGWD_PATH, "--config", (cloud.dir() / "gateway.yaml").string(), "--once"}, cloud.dir(),
      {std::string("OTAGW_PLUGIN_HOST=") + OTAGW_PLUGIN_HOST_PATH});
  if (run.status == 99) {
    WARN("SKIPPED: cannot make a user+mount namespace with a tmpfs on /run here (unshare -Urm): " << run.stream);
    return;
  }
  std::string all;
  for (const Entry& entry : run.entries) all += describe(entry) + "\n";
  INFO("journal entries:\n" << all << "stderr stream:\n" << run.stream);
  REQUIRE(run.status == 0);
  CHECK(run.malformed.empty());
  REQUIRE(run.entries.size() > 10);
  // Every line went to the journal's socket, none to the stream as well.
  CHECK(run.stream.empty());

  bool flashing_seen = false;
  bool plugin_line_seen = false;
  bool plain_line_seen = false;
  for (const Entry& entry : run.entries) {
    INFO(describe(entry));
    CHECK(entry.count("MESSAGE") == 1);
    CHECK(entry.count("PRIORITY") == 1);
    CHECK((entry.count("SYSLOG_IDENTIFIER") == 1 && entry.at("SYSLOG_IDENTIFIER") == "otagwd"));
    const std::string& message = entry.at("MESSAGE");
    const auto device = entry.find("OTAGW_DEVICE");
    const auto target = entry.find("OTAGW_TARGET_VERSION");
    // A line naming one device in front (the log's "sub-device PK/DN: ..."
    // and a plugin's "PK/DN: plugin ...") carries it; lines about the
    // gateway, the session or the pass carry none.
    for (const std::string& name : {kDevice0, kDevice1}) {
      if (message.starts_with("sub-device " + name + ":") || message.starts_with(name + ": plugin")) {
        CHECK((device != entry.end() && device->second == name));
      }
    }
    if (message.starts_with("MQTT: ") || message.starts_with("sweep done") || message.starts_with("logged in ")) {
      plain_line_seen = true;
      CHECK(device == entry.end());
      CHECK(target == entry.end());
    }
    if (device != entry.end() && device->second == kDevice1) CHECK(target == entry.end());  // no offer: no version
    if (message == "sub-device " + kDevice0 + ": flashing 2.0.0 with plugin 'rec'") {
      flashing_seen = true;
      CHECK(entry.at("PRIORITY") == "6");
      CHECK((target != entry.end() && target->second == "2.0.0"));
    }
    if (message.starts_with(kDevice0 + ": plugin rec: flash")) {
      plugin_line_seen = true;
      CHECK((target != entry.end() && target->second == "2.0.0"));
    }
  }
  CHECK(flashing_seen);
  CHECK(plugin_line_seen);
  CHECK(plain_line_seen);
  // `journalctl OTAGW_DEVICE=a1SubProd1/sub-0000`: that device's history, from
  // the offer to the new version.
  std::vector<std::string> history;
  for (const Entry& entry : run.entries) {
    if (const auto it = entry.find("OTAGW_DEVICE"); it != entry.end() && it->second == kDevice0) {
      history.push_back(entry.at("MESSAGE"));
    }
  }
  auto in_history = [&](const std::string& text) {
    return std::any_of(history.begin(), history.end(), [&](const std::string& m) { return m.find(text) != std::string::npos; });
  };
  CHECK(in_history(": visiting"));
  CHECK(in_history(": firmware 1.0.0 -> 2.0.0"));
  CHECK(in_history(": now at 2.0.0"));
  CHECK_FALSE(in_history("sub-0001"));
}
