#include "subdev/device_state.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "subdev/json_text.hpp"
#include "transports/atomic_file.hpp"
#include "transports/blocking_call.hpp"

namespace otagw::subdev {
namespace {

DeviceState parse_device(const nlohmann::json& j) {
  DeviceState state;
  state.topology_added = j.value("topology_added", false);
  state.last_check_ms = j.value("last_check_ms", std::int64_t{0});
  state.last_result = j.value("last_result", std::string{});
  if (const auto it = j.find("installed_versions"); it != j.end() && it->is_object()) {
    for (const auto& [module, version] : it->items()) {
      if (version.is_string()) state.installed_versions[module] = version.get<std::string>();
    }
  }
  if (const auto it = j.find("failed_targets"); it != j.end() && it->is_object()) {
    for (const auto& [module, failed] : it->items()) {
      if (!failed.is_object()) continue;
      state.failed_targets[module] = {failed.value("version", std::string{}), failed.value("jobs", 0)};
    }
  }
  return state;
}

}  // namespace

DeviceStateStore::DeviceStateStore(std::filesystem::path state_dir) : file_(std::move(state_dir) / "devices.json") {}

void DeviceStateStore::load() {
  std::ifstream in(file_);
  if (!in) return;  // first start
  std::stringstream text;
  text << in.rdbuf();
  try {
    const auto j = nlohmann::json::parse(text.str());
    if (j.value("version", 0) != kFormatVersion) throw std::runtime_error("unknown format version");
    for (const auto& [key, device] : j.at("devices").items()) devices_[key] = parse_device(device);
  } catch (const std::exception& e) {
    std::filesystem::path broken = file_;
    broken += ".broken";
    std::error_code ec;
    std::filesystem::rename(file_, broken, ec);
    spdlog::error("{} is unreadable ({}); moved to {} and starting with empty device state", file_.string(),
                  e.what(), broken.string());
    devices_.clear();
  }
}

DeviceState& DeviceStateStore::at(const std::string& device_key) { return devices_[device_key]; }

const DeviceState* DeviceStateStore::find(const std::string& device_key) const {
  const auto it = devices_.find(device_key);
  return it == devices_.end() ? nullptr : &it->second;
}

std::string DeviceStateStore::serialise() const {
  nlohmann::json devices = nlohmann::json::object();
  for (const auto& [key, state] : devices_) {
    nlohmann::json failed = nlohmann::json::object();
    for (const auto& [module, target] : state.failed_targets) {
      failed[module] = {{"version", target.version}, {"jobs", target.jobs}};
    }
    devices[key] = {{"topology_added", state.topology_added},
                    {"installed_versions", state.installed_versions},
                    {"last_check_ms", state.last_check_ms},
                    {"last_result", state.last_result},
                    {"failed_targets", std::move(failed)}};
  }
  return json_text(nlohmann::json{{"version", kFormatVersion}, {"devices", std::move(devices)}}, 1);
}

asio::awaitable<std::error_code> DeviceStateStore::async_save(asio::any_io_executor blocking_pool) {
  if (!saving_) saving_ = std::make_unique<transports::AsyncSemaphore>(co_await asio::this_coro::executor, 1);
  const transports::AsyncSemaphore::Permit turn = co_await saving_->acquire();
  // The state as it is now, after any save that went before: what this
  // caller changed is in it.
  dirty_ = false;
  std::string contents = serialise();
  // A named function object: g++ 12 double-frees a capturing lambda that is
  // a temporary inside a co_await expression.
  auto write = [file = file_, contents = std::move(contents)] {
    return transports::write_file_atomically(file, contents);
  };
  const std::error_code ec = co_await transports::run_blocking(std::move(blocking_pool), std::move(write));
  if (ec) {
    dirty_ = true;  // try again at the next save
    spdlog::error("cannot save device state to {}: {}", file_.string(), ec.message());
  }
  co_return ec;
}

}  // namespace otagw::subdev
