#pragma once
// The IoT platform played by the test itself, for hostile-cloud tests of otagwd
// as a process: a real mosquitto on a free loopback port (anonymous: otagwd's
// sign-in is accepted as is), the platform's own MqttSession on the test's
// io_context, the cloudsim firmware server on its own thread, the recorder
// plugin as a real process, and otagwd with a generated config.
//
// The io_context runs only while the test pumps it (pump_until, wait_daemon),
// always against a hard deadline, so a hung daemon fails the test instead of
// hanging it. Hooks and the default answers run on the test's thread, inside
// the pump.
#include <utility>  // before Asio (asio issue 944)

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/subdev/firmware_host.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/mosquitto_broker.hpp"
#include "tests/support/temp_dir.hpp"
#include "transports/mqtt_session.hpp"

namespace otagw::hostile_test {

inline constexpr const char* kSubProduct = "a1SubProd1";

// A message the platform received from the gateway.
struct Message {
  std::string topic;
  std::string payload;
};

// One /ota/device/progress message, as the platform reads it. `valid` is
// false when the payload is not JSON (invalid UTF-8 in a string among other
// things); step and desc are then empty.
struct Progress {
  bool valid = false;
  std::string step;
  std::string desc;
  std::string raw;
};

// The "id" of a request from the gateway ("" when it has none).
std::string request_id(const Message& message);
// The device name in a /sys/{pk}/{dn}/..., /ota/device/<x>/{pk}/{dn} topic.
std::string device_of(std::string_view topic);
// The "{pk}.{dn}" client ids listed in a batch_login or topo/add request.
std::vector<std::string> listed_devices(const Message& message);

class PlatformDouble {
 public:
  // Called for each message the platform receives (after it is recorded).
  // Return true when the hook has answered (or chosen to ignore) it; false
  // lets the default answer go out: 200 to topo/add, batch_login and
  // batch_logout; to firmware/get the offer set for the device, else "{}".
  using Hook = std::function<bool(const Message&)>;

  // Starts the broker, the firmware server and the platform session, and
  // waits (5 s at most) until the platform is connected and subscribed.
  // Serves two images: hostile() (for the device under attack) and good().
  PlatformDouble();
  ~PlatformDouble();
  PlatformDouble(const PlatformDouble&) = delete;
  PlatformDouble& operator=(const PlatformDouble&) = delete;

  // Writes gateway.yaml: every device with the recorder plugin (target dir
  // target_of(device)), configured version 1.0.0, query_timeout_s 2,
  // allow_http, download_retry_s 0; `ota_extra` is added to the ota map.
  void write_config(const std::vector<std::string>& devices, const std::string& ota_extra = {});

  void set_hook(Hook hook) { hook_ = std::move(hook); }
  // The `data` (JSON text) of the firmware/get reply for `device`.
  void set_offer(const std::string& device, std::string data_json) { offers_[device] = std::move(data_json); }

  void publish(std::string topic, std::string payload);
  // Publishes `payload` on the request's topic + "_reply".
  void reply(const Message& request, std::string payload);
  // {"id":"<request id>","code":200,"data":<data_json>} on the reply topic.
  void reply_ok(const Message& request, const std::string& data_json = "{}");
  // An upgrade push for `device` with `data_json` as its data.
  void push(const std::string& device, const std::string& data_json);

  // otagwd --config gateway.yaml [--once]; replaces an earlier run (killed
  // if still running).
  test_support::ChildProcess& start_daemon(bool once = true, std::vector<std::string> environment = {},
                                           std::filesystem::path stderr_path = {});
  // Pumps the platform until the daemon exits; its status, or nullopt when
  // it still runs after `limit`.
  std::optional<int> wait_daemon(std::chrono::milliseconds limit);
  // Pumps the platform until `done` or `limit`; returns done().
  bool pump_until(const std::function<bool()>& done, std::chrono::milliseconds limit);
  [[nodiscard]] test_support::ChildProcess& daemon() { return *daemon_; }
  [[nodiscard]] std::string daemon_log() const { return daemon_ ? daemon_->stderr_text() : std::string{}; }

  [[nodiscard]] const std::vector<Message>& received() const { return received_; }
  // firmware/get requests for `device`, counted from received()[from].
  [[nodiscard]] std::size_t queries_of(const std::string& device, std::size_t from = 0) const;
  [[nodiscard]] std::vector<Progress> progress_of(const std::string& device) const;
  // Versions the gateway reported on /ota/device/inform for `device`.
  [[nodiscard]] std::vector<std::string> informed_versions(const std::string& device) const;

  [[nodiscard]] std::filesystem::path target_of(const std::string& device) const;
  // Whether the recorder plugin was asked to flash `device` (any version).
  [[nodiscard]] bool flash_started(const std::string& device) const;
  // The recorder flashed `image` (byte for byte) as `version` into `device`,
  // and the gateway then reported `version` on inform.
  [[nodiscard]] bool upgraded(const std::string& device, const sweep_test::FirmwareHost::Image& image,
                              const std::string& version) const;

  [[nodiscard]] sweep_test::FirmwareHost& firmware() { return *firmware_; }
  [[nodiscard]] const sweep_test::FirmwareHost::Image& hostile() const { return hostile_; }
  [[nodiscard]] const sweep_test::FirmwareHost::Image& good() const { return good_; }
  // A valid single-file SHA-256 offer of `image` at `version` (md5 too).
  [[nodiscard]] nlohmann::json offer(const sweep_test::FirmwareHost::Image& image,
                                     const std::string& version = "2.0.0") const;
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }

 private:
  void on_message(std::string_view topic, std::string_view payload);
  void answer_by_default(const Message& message);

  test_support::MosquittoBroker broker_;
  test_support::TempDir dir_{"otagw-hostile"};
  std::unique_ptr<sweep_test::FirmwareHost> firmware_;
  sweep_test::FirmwareHost::Image hostile_;
  sweep_test::FirmwareHost::Image good_;
  boost::asio::io_context io_;
  boost::asio::thread_pool pool_{1};
  std::unique_ptr<transports::MqttSession> platform_;
  Hook hook_;
  std::map<std::string, std::string> offers_;
  std::vector<Message> received_;
  std::unique_ptr<test_support::ChildProcess> daemon_;
};

}  // namespace otagw::hostile_test
