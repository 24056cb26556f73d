#include "tests/subdev/cloud_fixture.hpp"

#include <signal.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace otagw::sweep_test {
namespace {

constexpr const char* kGatewaySecret = "gw-secret-for-sweep-tests";
constexpr const char* kPlatformUser = "platform";
constexpr const char* kPlatformPassword = "platform-password";

std::string secret_of(const std::string& name) { return "secret-" + name; }

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

CloudFixture::CloudFixture(std::vector<SimDevice> devices, std::string ota_extra)
    : CloudFixture(std::move(devices), [&ota_extra] {
        CloudOptions options;
        options.ota_extra = std::move(ota_extra);
        return options;
      }()) {}

CloudFixture::CloudFixture(std::vector<SimDevice> devices, CloudOptions cloud_options) {
  test_support::BrokerOptions options;
  options.auth = true;
  options.devices.push_back({"a1GwProd01", "gw-0001", kGatewaySecret});
  options.platform_username = kPlatformUser;
  options.platform_password = kPlatformPassword;
  broker_ = std::make_unique<test_support::MosquittoBroker>(options);
  write_files(devices, cloud_options);
  start_sim();
}

CloudFixture::~CloudFixture() = default;

void CloudFixture::write_files(const std::vector<SimDevice>& devices, const CloudOptions& options) {
  const std::string& ota_extra = options.ota_extra;
  std::ofstream scenario(dir() / "scenario.yaml");
  scenario << "gateway: {product_key: a1GwProd01, device_name: gw-0001, device_secret: " << kGatewaySecret << "}\n"
           << options.scenario_extra << (options.scenario_extra.empty() ? "" : "\n") << "devices:\n";
  std::ofstream config(dir() / "gateway.yaml");
  test_support::make_private(dir() / "gateway.yaml");
  config << "gateway: {product_key: a1GwProd01, device_name: gw-0001, device_secret: " << kGatewaySecret << "}\n"
         << "mqtt: {host: 127.0.0.1, port: " << broker_->port() << ", tls: false, connect_retry_s: 20}\n"
         << "ota: {state_dir: state"
         << (ota_extra.find("query_timeout_s") == std::string::npos ? ", query_timeout_s: 2" : "")
         << (ota_extra.empty() ? "" : ", ") << ota_extra << "}\n"
         << "log: {level: debug}\n"
         << "control: {socket: " << control_socket().string() << "}\n"
         << "plugins: " << options.plugins_yaml << "\n"
         << "subdevices:\n";
  std::set<std::string> in_scenario;
  for (const SimDevice& device : devices) {
    if (in_scenario.insert(device.name).second) {
      scenario << "  - {product_key: " << kSubProduct << ", device_name: " << device.name
               << ", device_secret: " << secret_of(device.name)
               << (device.scenario_extra.empty() ? "" : ", ") << device.scenario_extra << "}\n";
    }
    config << "  - {product_key: " << kSubProduct << ", device_name: " << device.name
           << ", device_secret: " << secret_of(device.name) << ", version: \"1.0.0\", plugin: " << device.plugin
           << (device.module.empty() ? "" : ", module: " + device.module)
           << (device.config_extra.empty() ? "" : ", " + device.config_extra) << "}\n";
  }
}

void CloudFixture::start_sim() {
  sim_ = std::make_unique<test_support::ChildProcess>(
      std::vector<std::string>{OTAGW_CLOUDSIM_PATH, "serve", "--scenario", (dir() / "scenario.yaml").string(),
                               "--broker-host", "127.0.0.1", "--broker-port", std::to_string(broker_->port()),
                               "--username", kPlatformUser, "--password", kPlatformPassword, "--report",
                               (dir() / "report.json").string()},
      dir());
  if (!sim_->wait_for_stdout("ready", std::chrono::seconds(10))) {
    throw std::runtime_error("otagw-cloudsim did not become ready: " + sim_->stderr_text());
  }
}

test_support::ChildProcess& CloudFixture::start_once() {
  daemon_ = std::make_unique<test_support::ChildProcess>(
      std::vector<std::string>{OTAGWD_PATH, "--config", (dir() / "gateway.yaml").string(), "--once"}, dir(),
      std::vector<std::string>{std::string("OTAGW_PLUGIN_HOST=") + OTAGW_PLUGIN_HOST_PATH});
  return *daemon_;
}

test_support::ChildProcess& CloudFixture::start_service() {
  daemon_ = std::make_unique<test_support::ChildProcess>(
      std::vector<std::string>{OTAGWD_PATH, "--config", (dir() / "gateway.yaml").string()}, dir(),
      std::vector<std::string>{std::string("OTAGW_PLUGIN_HOST=") + OTAGW_PLUGIN_HOST_PATH});
  return *daemon_;
}

void CloudFixture::kill_daemon() {
  daemon_->signal(SIGKILL);
  (void)daemon_->wait(std::chrono::seconds(10));
}

int CloudFixture::run_once(std::chrono::milliseconds timeout) {
  auto& daemon = start_once();
  const auto status = daemon.wait(timeout);
  if (!status) throw std::runtime_error("otagwd --once did not finish in time:\n" + daemon.stderr_text());
  return *status;
}

nlohmann::json CloudFixture::stop_sim_and_report() {
  sim_->signal(SIGTERM);
  if (sim_->wait(std::chrono::seconds(10)) != 0) {
    throw std::runtime_error("otagw-cloudsim did not exit cleanly: " + sim_->stderr_text());
  }
  return nlohmann::json::parse(read_file(dir() / "report.json"));
}

std::string CloudFixture::daemon_log() const { return daemon_ ? daemon_->stderr_text() : std::string{}; }

std::vector<std::string> CloudFixture::ota_subscription_events() const {
  // mosquitto (log_type subscribe/unsubscribe) writes, per topic:
  //   "<time>: <client id> <qos> <topic>"            for SUBSCRIBE
  //   "<time>: <client id> <topic>"                  for UNSUBSCRIBE
  // Only our gateway's client id ("a1GwProd01.gw-0001|...") counts.
  std::vector<std::string> events;
  std::istringstream log(broker_->log());
  for (std::string line; std::getline(log, line);) {
    // A restarted broker starts with no subscriptions at all.
    if (line.find(" starting") != std::string::npos && line.find("mosquitto version") != std::string::npos) {
      events.push_back("!restart");
      continue;
    }
    const auto client = line.find("a1GwProd01.gw-0001|");
    if (client == std::string::npos) continue;
    const auto topic = line.find(" /ota/device/upgrade/", client);
    if (topic == std::string::npos) continue;
    const std::string name = line.substr(topic + 1);
    // A digit (the QoS) before the topic marks a subscription.
    const bool subscribe = topic >= 2 && std::isdigit(static_cast<unsigned char>(line[topic - 1])) &&
                           line[topic - 2] == ' ';
    events.push_back((subscribe ? "+" : "-") + name);
  }
  return events;
}

std::string check_one_channel_at_a_time(const std::vector<std::string>& events) {
  std::set<std::string> subscribed;
  for (const std::string& event : events) {
    const std::string topic = event.substr(1);
    if (event[0] == '!') {
      subscribed.clear();
    } else if (event[0] == '+') {
      if (!subscribed.empty() && !subscribed.contains(topic)) {
        return "subscribed " + topic + " while " + *subscribed.begin() + " still was";
      }
      subscribed.insert(topic);
    } else {
      subscribed.erase(topic);
    }
  }
  if (!subscribed.empty()) return "left subscribed at the end: " + *subscribed.begin();
  return {};
}

}  // namespace otagw::sweep_test
