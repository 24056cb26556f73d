#include "tests/daemon/platform_double.hpp"

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/subdev/anonymous_session.hpp"

namespace otagw::hostile_test {
namespace {

using namespace std::chrono_literals;

std::vector<std::string_view> split(std::string_view topic) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const auto end = topic.find('/', start);
    parts.push_back(topic.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::string request_id(const Message& message) {
  const auto j = nlohmann::json::parse(message.payload, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("id") || !j["id"].is_string()) return {};
  return j["id"].get<std::string>();
}

std::string device_of(std::string_view topic) {
  const auto parts = split(topic);
  // "", "sys", pk, dn, ... | "", "ota", "device", kind, pk, dn
  if (parts.size() >= 4 && parts[1] == "sys") return std::string(parts[3]);
  if (parts.size() >= 6 && parts[1] == "ota") return std::string(parts[5]);
  return {};
}

std::vector<std::string> listed_devices(const Message& message) {
  std::vector<std::string> ids;
  const auto j = nlohmann::json::parse(message.payload, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return ids;
  const auto params = j.find("params");
  if (params == j.end()) return ids;
  // batch_login: params.deviceList[]; topo/add: params[]
  const nlohmann::json& list = params->is_object() && params->contains("deviceList") ? (*params)["deviceList"] : *params;
  if (!list.is_array()) return ids;
  for (const auto& entry : list) {
    if (entry.is_object() && entry.contains("clientId") && entry["clientId"].is_string()) {
      ids.push_back(entry["clientId"].get<std::string>());
    }
  }
  return ids;
}

PlatformDouble::PlatformDouble() {
  std::filesystem::create_directories(dir() / "fw");
  firmware_ = std::make_unique<sweep_test::FirmwareHost>(dir() / "fw");
  hostile_ = firmware_->add("hostile.bin", 4096);
  good_ = firmware_->add("good.bin", 8192);

  platform_ = std::make_unique<transports::MqttSession>(io_.get_executor(), pool_.get_executor(),
                                                        sweep_test::anonymous_session(broker_.port(), "platform"));
  platform_->set_message_handler([this](std::string_view topic, std::string_view payload) { on_message(topic, payload); });
  platform_->start();
  bool connected = false;
  platform_->async_wait_connected(5s, [&connected](std::error_code ec) { connected = !ec; });
  pump_until([&] { return connected; }, 5s);
  if (!connected) throw std::runtime_error("the platform session did not connect to the test broker");
  bool subscribed = false;
  platform_->async_subscribe({"/sys/+/+/thing/topo/add", "/ext/session/+/+/combine/batch_login",
                              "/ext/session/+/+/combine/batch_logout", "/sys/+/+/thing/ota/firmware/get",
                              "/ota/device/inform/+/+", "/ota/device/progress/+/+"},
                             1, [&subscribed](std::error_code ec) { subscribed = !ec; });
  pump_until([&] { return subscribed; }, 5s);
  if (!subscribed) throw std::runtime_error("the platform session could not subscribe");
}

PlatformDouble::~PlatformDouble() {
  if (daemon_) {
    daemon_->signal(SIGKILL);
    (void)daemon_->wait(5s);
  }
  platform_->stop();
  io_.restart();
  io_.run_for(200ms);
  pool_.join();
}

void PlatformDouble::write_config(const std::vector<std::string>& devices, const std::string& ota_extra) {
  std::ofstream config(dir() / "gateway.yaml");
  test_support::make_private(dir() / "gateway.yaml");
  config << "gateway: {product_key: a1GwProd01, device_name: gw-0001, device_secret: gw-secret-hostile}\n"
         << "mqtt: {host: 127.0.0.1, port: " << broker_.port() << ", tls: false, connect_retry_s: 5}\n"
         << "ota: {state_dir: state, query_timeout_s: 2, allow_http: true, download_retry_s: 0"
         << (ota_extra.empty() ? "" : ", ") << ota_extra << "}\n"
         << "log: {level: debug}\n"
         << "plugins: {rec: {exec: \"" << OTAGW_SOURCE_DIR
         << "/tests/subdev/plugins/recorder\", timeout_s: 20, version_timeout_s: 5}}\n"
         << "subdevices:\n";
  for (const std::string& device : devices) {
    config << "  - {product_key: " << kSubProduct << ", device_name: " << device << ", device_secret: secret-"
           << device << ", version: \"1.0.0\", plugin: rec, params: {target_dir: \"" << target_of(device).string()
           << "\"}}\n";
  }
}

void PlatformDouble::publish(std::string topic, std::string payload) {
  platform_->async_publish(std::move(topic), std::move(payload), 0, [](std::error_code) {});
}

void PlatformDouble::reply(const Message& request, std::string payload) {
  publish(request.topic + "_reply", std::move(payload));
}

void PlatformDouble::reply_ok(const Message& request, const std::string& data_json) {
  reply(request, R"({"id":")" + request_id(request) + R"(","code":200,"data":)" + data_json + "}");
}

void PlatformDouble::push(const std::string& device, const std::string& data_json) {
  publish(std::string("/ota/device/upgrade/") + kSubProduct + "/" + device,
          R"({"code":"1000","id":"1","data":)" + data_json + R"(,"message":"success"})");
}

void PlatformDouble::on_message(std::string_view topic, std::string_view payload) {
  received_.push_back({std::string(topic), std::string(payload)});
  const Message message = received_.back();
  if (hook_ && hook_(message)) return;
  answer_by_default(message);
}

void PlatformDouble::answer_by_default(const Message& message) {
  const std::string_view topic = message.topic;
  if (topic.ends_with("/thing/topo/add")) {
    reply_ok(message, "[]");
  } else if (topic.ends_with("/combine/batch_login") || topic.ends_with("/combine/batch_logout")) {
    reply_ok(message, "{}");
  } else if (topic.ends_with("/thing/ota/firmware/get")) {
    const auto offer = offers_.find(device_of(topic));
    reply_ok(message, offer == offers_.end() ? "{}" : offer->second);
  }
}

test_support::ChildProcess& PlatformDouble::start_daemon(bool once, std::vector<std::string> environment,
                                                         std::filesystem::path stderr_path) {
  if (daemon_) {
    daemon_->signal(SIGKILL);
    (void)daemon_->wait(5s);
  }
  std::vector<std::string> argv = {OTAGWD_PATH, "--config", (dir() / "gateway.yaml").string()};
  if (once) argv.emplace_back("--once");
  daemon_ = std::make_unique<test_support::ChildProcess>(std::move(argv), dir(), std::move(environment),
                                                         std::move(stderr_path));
  return *daemon_;
}

std::optional<int> PlatformDouble::wait_daemon(std::chrono::milliseconds limit) {
  std::optional<int> status;
  pump_until([&] { return (status = daemon_->wait(0ms)).has_value(); }, limit);
  // What the daemon sent last (its final inform) is still on its way.
  if (status) pump_until([] { return false; }, 100ms);
  return status;
}

bool PlatformDouble::pump_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io_.restart();
    if (io_.run_for(10ms) == 0) std::this_thread::sleep_for(2ms);
  }
  return true;
}

std::size_t PlatformDouble::queries_of(const std::string& device, std::size_t from) const {
  std::size_t count = 0;
  for (std::size_t i = from; i < received_.size(); ++i) {
    if (received_[i].topic.ends_with("/thing/ota/firmware/get") && device_of(received_[i].topic) == device) ++count;
  }
  return count;
}

std::vector<Progress> PlatformDouble::progress_of(const std::string& device) const {
  std::vector<Progress> out;
  for (const Message& message : received_) {
    if (!message.topic.starts_with("/ota/device/progress/") || device_of(message.topic) != device) continue;
    Progress progress;
    progress.raw = message.payload;
    const auto j = nlohmann::json::parse(message.payload, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("params") && j["params"].is_object()) {
      const auto& params = j["params"];
      progress.valid = params.contains("step") && params["step"].is_string() && params.contains("desc") &&
                       params["desc"].is_string();
      if (progress.valid) {
        progress.step = params["step"].get<std::string>();
        progress.desc = params["desc"].get<std::string>();
      }
    }
    out.push_back(std::move(progress));
  }
  return out;
}

std::vector<std::string> PlatformDouble::informed_versions(const std::string& device) const {
  std::vector<std::string> versions;
  for (const Message& message : received_) {
    if (!message.topic.starts_with("/ota/device/inform/") || device_of(message.topic) != device) continue;
    const auto j = nlohmann::json::parse(message.payload, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("params") && j["params"].is_object() &&
        j["params"].contains("version") && j["params"]["version"].is_string()) {
      versions.push_back(j["params"]["version"].get<std::string>());
    }
  }
  return versions;
}

std::filesystem::path PlatformDouble::target_of(const std::string& device) const {
  return dir() / ("target-" + device);
}

bool PlatformDouble::flash_started(const std::string& device) const {
  return std::filesystem::exists(target_of(device) / "flashes");
}

bool PlatformDouble::upgraded(const std::string& device, const sweep_test::FirmwareHost::Image& image,
                              const std::string& version) const {
  if (!std::filesystem::exists(target_of(device) / "image") ||
      read_file(target_of(device) / "image") != read_file(image.file)) {
    return false;
  }
  const std::string flashes = read_file(target_of(device) / "flashes");
  const auto informed = informed_versions(device);
  return flashes.find("flash " + version + "\n") != std::string::npos &&
         read_file(target_of(device) / "completed").find("done " + version + "\n") != std::string::npos &&
         std::find(informed.begin(), informed.end(), version) != informed.end();
}

nlohmann::json PlatformDouble::offer(const sweep_test::FirmwareHost::Image& image, const std::string& version) const {
  return {{"version", version}, {"size", image.size},     {"url", firmware_->url(image)},
          {"signMethod", "SHA256"}, {"sign", image.sha256}, {"md5", image.md5}};
}

}  // namespace otagw::hostile_test
