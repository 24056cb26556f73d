#pragma once
// A real mosquitto broker on a free loopback port, for integration tests.
//
// Each instance owns a fresh temporary directory (config, log, devices file, PKI) and one
// child process. Not thread-safe: use an instance from one thread. The broker runs as a
// child of the test with PR_SET_PDEATHSIG, so a test killed by a time-out does not leave
// it behind (the signal follows the thread that forked it: start brokers from a thread
// that outlives them, such as the test's main thread).

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <sys/types.h>
#include <vector>

namespace otagw::test_support {

struct BrokerOptions {
  // Load otagw_mqtt_auth (the platform's sign-in check) with a devices file; otherwise
  // anonymous clients are allowed.
  bool auth = false;
  // {product_key, device_name, device_secret} written to the devices file (auth only).
  std::vector<std::array<std::string, 3>> devices;
  // Optional superuser login the plugin accepts as-is (auth only; both or neither).
  std::string platform_username, platform_password;
  // The listener speaks TLS with a certificate for "localhost" / 127.0.0.1 signed by a
  // fresh test CA (see ca_file()).
  bool tls = false;
};

class MosquittoBroker {
 public:
  // Picks a free port, writes the config into a fresh temp dir, starts mosquitto and waits
  // (at most 5 s) until it accepts TCP connections. Throws std::runtime_error carrying the
  // broker's output and log if it does not come up.
  explicit MosquittoBroker(BrokerOptions options = {});
  // Kills the broker (SIGKILL) and removes the temp dir.
  ~MosquittoBroker();

  MosquittoBroker(const MosquittoBroker&) = delete;
  MosquittoBroker& operator=(const MosquittoBroker&) = delete;

  // The listener's port on 127.0.0.1; the same across stop()/kill() and start().
  std::uint16_t port() const;
  // Path of the test CA's PEM certificate (tls only; throws std::logic_error otherwise).
  std::string ca_file() const;
  // The temp dir holding config, log and PKI (for a test that needs more files nearby).
  const std::filesystem::path& dir() const;

  // Appends a device to the devices file; the plugin re-reads the file at the next
  // sign-in, no restart needed. Throws std::logic_error without auth.
  void add_device(const std::string& product_key, const std::string& device_name,
                  const std::string& device_secret);

  // SIGKILL and reap: an abrupt broker loss (connections reset, no will flush).
  void kill();
  // SIGTERM and reap (SIGKILL after 5 s): an orderly shutdown.
  void stop();
  // Starts again on the same port and waits until it accepts (at most 5 s, retrying while
  // the port is still held); no-op when running. Throws std::runtime_error on failure.
  void start();
  // Whether the broker process is alive (reaps it if it has exited).
  bool running() const;

  // The broker's log file (log_type all: connects, refusals with the plugin's reasons,
  // subscribes, unsubscribes). Empty before the broker has written anything.
  std::string log() const;

 private:
  void write_config() const;
  bool launch_and_wait(int max_attempts);
  void signal_and_reap(int signal, int grace_ms);
  std::string diagnostics() const;

  BrokerOptions options_;
  std::filesystem::path dir_;
  std::string mosquitto_binary_;
  std::string ca_file_;
  std::uint16_t port_ = 0;
  mutable pid_t pid_ = -1;  // mutable: running() reaps an exited child
};

}  // namespace otagw::test_support
