#include "tests/support/mosquitto_broker.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "tests/support/free_port.hpp"
#include "tests/support/test_ca.hpp"

namespace otagw::test_support {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kStartTimeout = std::chrono::seconds(5);
constexpr auto kPollInterval = std::chrono::milliseconds(10);
// A fresh port can be taken between free_loopback_port() and mosquitto's bind().
constexpr int kPortAttempts = 3;

std::filesystem::path make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "otagw-broker-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  return pattern;
}

// Debian installs the broker in /usr/sbin, which a non-root PATH often lacks.
std::string find_mosquitto() {
  if (const char* path = ::getenv("PATH")) {
    std::stringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      if (dir.empty()) continue;
      const std::string candidate = dir + "/mosquitto";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return "/usr/sbin/mosquitto";
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// mosquitto.conf has no quoting: a value is the rest of its line. Refuse what would
// change the meaning of the config (a line break) or be silently trimmed.
void check_config_value(const std::string& what, const std::string& value) {
  if (value.find_first_of("\r\n") != std::string::npos ||
      (!value.empty() && (value.front() == ' ' || value.back() == ' '))) {
    throw std::invalid_argument("MosquittoBroker: " + what + " cannot go into mosquitto.conf");
  }
}

// The devices file is whitespace separated with '#' comments.
void check_device_field(const std::string& field) {
  if (field.empty() || field.front() == '#' || field.find_first_of(" \t\r\n\v\f") != std::string::npos) {
    throw std::invalid_argument("MosquittoBroker: device field '" + field + "' cannot go into the devices file");
  }
}

std::string device_line(const std::string& pk, const std::string& dn, const std::string& secret) {
  check_device_field(pk);
  check_device_field(dn);
  check_device_field(secret);
  return pk + ' ' + dn + ' ' + secret + '\n';
}

// True if something listening on 127.0.0.1:port completes a TCP handshake.
bool accepts(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  if (ok) {
    // The port came from the ephemeral range, so while nothing listens a connect can pick
    // that same port as its source and "succeed" by connecting to itself.
    sockaddr_in local{};
    socklen_t len = sizeof(local);
    ok = ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0 && ntohs(local.sin_port) != port;
  }
  ::close(fd);
  return ok;
}

// Between fork and exec only async-signal-safe calls: the test may have other threads.
[[noreturn]] void exec_broker(pid_t parent, const char* binary, char* const argv[], const char* out_path) {
  ::setpgid(0, 0);  // Ctrl-C at the terminal goes to the test, which then kills us.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // the test died before prctl took effect
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGTERM, SIG_DFL);
  ::signal(SIGINT, SIG_DFL);
  const int out = ::open(out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out >= 0) {
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
  }
  // Test clients' sockets are not all close-on-exec (libmosquitto's are not); a copy held
  // by the broker would keep a connection open after the test closed it.
  if (::close_range(3, ~0U, 0) != 0) {
    for (int fd = 3; fd < 4096; ++fd) ::close(fd);
  }
  ::execv(binary, argv);
  static const char msg[] = "MosquittoBroker: execv of the mosquitto binary failed\n";
  [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, msg, sizeof(msg) - 1);
  ::_exit(127);
}

}  // namespace

MosquittoBroker::MosquittoBroker(BrokerOptions options)
    : options_(std::move(options)), dir_(make_temp_dir()), mosquitto_binary_(find_mosquitto()) {
  try {
    check_config_value("platform_username", options_.platform_username);
    check_config_value("platform_password", options_.platform_password);
    if (options_.platform_username.empty() != options_.platform_password.empty()) {
      throw std::invalid_argument("MosquittoBroker: platform_username and platform_password go together");
    }
    if (options_.tls) ca_file_ = make_test_pki(dir_).ca_cert;
    if (options_.auth) {
      std::ofstream devices(dir_ / "devices.txt");
      devices << "# product_key device_name device_secret\n";
      for (const auto& [pk, dn, secret] : options_.devices) devices << device_line(pk, dn, secret);
      if (!devices.flush()) throw std::runtime_error("MosquittoBroker: cannot write devices.txt");
    }
    for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
      port_ = free_loopback_port();
      write_config();
      // On a fresh port an early exit means the port was taken: try another rather than
      // retrying this one.
      if (launch_and_wait(1)) return;
    }
    throw std::runtime_error("MosquittoBroker: broker did not start\n" + diagnostics());
  } catch (...) {
    kill();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    throw;
  }
}

MosquittoBroker::~MosquittoBroker() {
  kill();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::uint16_t MosquittoBroker::port() const { return port_; }

std::string MosquittoBroker::ca_file() const {
  if (!options_.tls) throw std::logic_error("MosquittoBroker::ca_file: broker has no TLS listener");
  return ca_file_;
}

const std::filesystem::path& MosquittoBroker::dir() const { return dir_; }

void MosquittoBroker::add_device(const std::string& product_key, const std::string& device_name,
                                 const std::string& device_secret) {
  if (!options_.auth) throw std::logic_error("MosquittoBroker::add_device: broker has no auth plugin");
  const std::string line = device_line(product_key, device_name, device_secret);
  // One write() with O_APPEND, so the plugin never reads half a line and then misses the
  // rest (it re-reads on size changes, and the size changes once).
  const std::string path = (dir_ / "devices.txt").string();
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open " + path);
  const ssize_t n = ::write(fd, line.data(), line.size());
  const int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size())) {
    throw std::system_error(n < 0 ? err : EIO, std::generic_category(), "append to " + path);
  }
}

void MosquittoBroker::kill() { signal_and_reap(SIGKILL, 0); }

void MosquittoBroker::stop() { signal_and_reap(SIGTERM, 5000); }

void MosquittoBroker::start() {
  if (running()) return;
  // After kill() the old listening socket is gone at once (mosquitto sets SO_REUSEADDR),
  // but keep relaunching in case the port is briefly held.
  if (!launch_and_wait(100)) {
    throw std::runtime_error("MosquittoBroker: broker did not restart on port " + std::to_string(port_) + "\n" +
                             diagnostics());
  }
}

bool MosquittoBroker::running() const {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  pid_ = -1;  // exited (and now reaped), or not our child any more
  return false;
}

std::string MosquittoBroker::log() const { return read_file(dir_ / "broker.log"); }

void MosquittoBroker::write_config() const {
  std::ofstream conf(dir_ / "mosquitto.conf", std::ios::trunc);
  conf << "# Generated by otagw's MosquittoBroker test helper.\n"
       << "per_listener_settings false\n"
       // Tests run as root in CI; without this mosquitto drops to user mosquitto and then
       // cannot read the plugin's files in this root-owned directory.
       << "user root\n"
       << "persistence false\n"
       << "set_tcp_nodelay true\n"
       << "allow_anonymous " << (options_.auth ? "false" : "true") << "\n"
       << "log_dest file " << (dir_ / "broker.log").string() << "\n"
       // all = debug included: later tests assert on the broker's view of subscriptions.
       << "log_type all\n";
  if (options_.auth) {
    conf << "plugin " << OTAGW_MQTT_AUTH_PLUGIN << "\n"
         << "plugin_opt_devices_file " << (dir_ / "devices.txt").string() << "\n";
    if (!options_.platform_username.empty()) {
      conf << "plugin_opt_platform_username " << options_.platform_username << "\n"
           << "plugin_opt_platform_password " << options_.platform_password << "\n";
    }
  }
  // Listener options follow their `listener` line; never set them before it (2.0.11 would
  // then open a default listener on all interfaces).
  conf << "listener " << port_ << " 127.0.0.1\n";
  if (options_.tls) {
    conf << "cafile " << ca_file_ << "\n"
         << "certfile " << (dir_ / "server.pem").string() << "\n"
         << "keyfile " << (dir_ / "server.key").string() << "\n";
  }
  if (!conf.flush()) throw std::runtime_error("MosquittoBroker: cannot write mosquitto.conf");
}

// Precondition: not running. Forks up to max_attempts times while the broker exits early.
bool MosquittoBroker::launch_and_wait(int max_attempts) {
  // Everything exec needs is prepared before fork.
  const std::string conf = (dir_ / "mosquitto.conf").string();
  const std::string out = (dir_ / "mosquitto.out").string();
  std::string arg0 = mosquitto_binary_, arg1 = "-c", arg2 = conf;
  char* const argv[] = {arg0.data(), arg1.data(), arg2.data(), nullptr};
  const pid_t parent = ::getpid();

  const auto deadline = Clock::now() + kStartTimeout;
  for (int attempt = 1;; ++attempt) {
    const pid_t pid = ::fork();
    if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (pid == 0) exec_broker(parent, arg0.c_str(), argv, out.c_str());
    pid_ = pid;
    while (Clock::now() < deadline) {
      if (accepts(port_) && running()) return true;
      if (!running()) break;  // exited: a config error, or the port is taken
      std::this_thread::sleep_for(kPollInterval);
    }
    // Still running here means it never accepted within the time-out: do not pile up.
    if (running() || attempt >= max_attempts || Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill();
  return false;
}

void MosquittoBroker::signal_and_reap(int signal, int grace_ms) {
  if (pid_ <= 0) return;
  ::kill(pid_, signal);
  const auto deadline = Clock::now() + std::chrono::milliseconds(grace_ms);
  while (grace_ms > 0 && Clock::now() < deadline) {
    if (!running()) return;
    std::this_thread::sleep_for(kPollInterval);
  }
  if (pid_ <= 0) return;
  if (signal != SIGKILL) ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

std::string MosquittoBroker::diagnostics() const {
  return "config " + (dir_ / "mosquitto.conf").string() + "\n--- mosquitto stdout/stderr ---\n" +
         read_file(dir_ / "mosquitto.out") + "\n--- broker log ---\n" + log();
}

}  // namespace otagw::test_support
