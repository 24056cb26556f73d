#include "subdev/fleet_status.hpp"

#include <spdlog/spdlog.h>

namespace otagw::subdev {

std::string_view to_string(DeviceActivity activity) noexcept {
  switch (activity) {
    case DeviceActivity::idle: return "idle";
    case DeviceActivity::queued: return "queued";
    case DeviceActivity::visiting: return "visiting";
    case DeviceActivity::downloading: return "downloading";
    case DeviceActivity::verifying: return "verifying";
    case DeviceActivity::waiting: return "waiting";
    case DeviceActivity::flashing: return "flashing";
    case DeviceActivity::confirming: return "confirming";
    case DeviceActivity::reporting: return "reporting";
  }
  return "idle";
}

FleetStatus::FleetStatus(asio::any_io_executor loop) : flush_timer_(std::move(loop)) {}

FleetStatus::~FleetStatus() = default;

std::int64_t FleetStatus::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void FleetStatus::sync(const Registry& registry, const DeviceStateStore& state) {
  std::vector<ModuleStatus> rows;
  std::map<std::pair<std::string, std::string>, std::size_t> index;
  std::vector<ModuleStatus> added;
  for (const auto& device : registry.devices()) {
    const DeviceState* saved = state.find(device->key());
    for (const ModuleSpec& module : device->modules) {
      auto key = std::make_pair(device->key(), module.name);
      if (auto it = index_.find(key); it != index_.end()) {
        rows.push_back(std::move(rows_[it->second]));
        index_.erase(it);
      } else {
        ModuleStatus row;
        row.product_key = device->product_key;
        row.device_name = device->device_name;
        row.module = module.name;
        row.version = module.configured_version;
        if (saved != nullptr) {
          if (auto v = saved->installed_versions.find(module.name); v != saved->installed_versions.end()) {
            row.version = v->second;
          }
          row.last_check_ms = saved->last_check_ms;
          row.last_result = saved->last_result;
        }
        rows.push_back(row);
        added.push_back(std::move(row));
      }
      index.emplace(std::move(key), rows.size() - 1);
    }
  }
  // What is left in index_ is gone.
  std::vector<ModuleStatus> removed;
  for (const auto& [key, position] : index_) {
    removed.push_back(std::move(rows_[position]));
    pending_.erase(key);
    last_progress_sent_.erase(key);
  }
  rows_ = std::move(rows);
  index_ = std::move(index);
  if (!listener_) return;
  for (const ModuleStatus& row : removed) listener_(StatusEvent{StatusEvent::Kind::device_removed, &row});
  for (const ModuleStatus& row : added) {
    if (const ModuleStatus* kept = find(row.product_key + "." + row.device_name, row.module)) emit_row(*kept);
  }
}

const ModuleStatus* FleetStatus::find(const std::string& device_key, const std::string& module) const {
  const auto it = index_.find({device_key, module});
  return it == index_.end() ? nullptr : &rows_[it->second];
}

ModuleStatus* FleetStatus::row(const std::string& device_key, const std::string& module) {
  const auto it = index_.find({device_key, module});
  return it == index_.end() ? nullptr : &rows_[it->second];
}

void FleetStatus::emit_row(const ModuleStatus& row) {
  if (listener_) listener_(StatusEvent{StatusEvent::Kind::device, &row});
}

void FleetStatus::changed(ModuleStatus& row) {
  const auto key = std::make_pair(row.product_key + "." + row.device_name, row.module);
  pending_.erase(key);
  last_progress_sent_[key] = std::chrono::steady_clock::now();
  emit_row(row);
}

void FleetStatus::progress_changed(ModuleStatus& row) {
  auto key = std::make_pair(row.product_key + "." + row.device_name, row.module);
  const auto now = std::chrono::steady_clock::now();
  auto sent = last_progress_sent_.find(key);
  if (sent == last_progress_sent_.end() || now - sent->second >= kProgressInterval) {
    last_progress_sent_[key] = now;
    pending_.erase(key);
    emit_row(row);
    return;
  }
  pending_.insert(std::move(key));
  arm_flush();
}

void FleetStatus::arm_flush() {
  if (flush_armed_) return;
  flush_armed_ = true;
  flush_timer_.expires_after(kProgressInterval);
  flush_timer_.async_wait([this](boost::system::error_code ec) {
    flush_armed_ = false;
    if (ec) return;
    flush_pending();
  });
}

void FleetStatus::flush_pending() {
  const auto now = std::chrono::steady_clock::now();
  bool left = false;
  for (auto it = pending_.begin(); it != pending_.end();) {
    auto sent = last_progress_sent_.find(*it);
    if (sent != last_progress_sent_.end() && now - sent->second < kProgressInterval) {
      left = true;
      ++it;
      continue;
    }
    last_progress_sent_[*it] = now;
    if (ModuleStatus* r = row(it->first, it->second)) emit_row(*r);
    it = pending_.erase(it);
  }
  if (left) arm_flush();
}

void FleetStatus::set_device_activity(const std::string& device_key, DeviceActivity activity) {
  for (auto it = index_.lower_bound({device_key, std::string()}); it != index_.end() && it->first.first == device_key;
       ++it) {
    ModuleStatus& r = rows_[it->second];
    if (r.state == activity) continue;
    r.state = activity;
    r.waiting_for.clear();
    if (activity == DeviceActivity::idle || activity == DeviceActivity::queued || activity == DeviceActivity::visiting) {
      r.progress = -1;
      r.flash_progress = -1;
    }
    changed(r);
  }
}

void FleetStatus::set_activity(const std::string& device_key, const std::string& module, DeviceActivity activity,
                               const std::string& target_version) {
  ModuleStatus* r = row(device_key, module);
  if (r == nullptr) return;
  const bool same = r->state == activity && (target_version.empty() || r->target_version == target_version);
  if (same) return;
  // The last progress before the change goes out first.
  if (pending_.count({device_key, module}) > 0) emit_row(*r);
  r->state = activity;
  r->waiting_for.clear();
  if (!target_version.empty()) r->target_version = target_version;
  switch (activity) {
    case DeviceActivity::downloading:
      if (r->progress < 0) r->progress = 0;
      r->flash_progress = -1;
      break;
    case DeviceActivity::verifying: break;
    case DeviceActivity::flashing:
      r->progress = -1;
      if (r->flash_progress < 0) r->flash_progress = 0;
      break;
    default:
      r->progress = -1;
      r->flash_progress = -1;
      break;
  }
  changed(*r);
}

void FleetStatus::set_download_progress(const std::string& device_key, const std::string& module, int percent) {
  ModuleStatus* r = row(device_key, module);
  if (r == nullptr || r->progress == percent) return;
  r->progress = percent;
  progress_changed(*r);
}

void FleetStatus::set_flash_progress(const std::string& device_key, const std::string& module, int percent) {
  ModuleStatus* r = row(device_key, module);
  if (r == nullptr || r->flash_progress == percent) return;
  r->flash_progress = percent;
  progress_changed(*r);
}

void FleetStatus::set_version(const std::string& device_key, const std::string& module, const std::string& version) {
  ModuleStatus* r = row(device_key, module);
  if (r == nullptr || version.empty() || r->version == version) return;
  r->version = version;
  changed(*r);
}

void FleetStatus::set_error(const std::string& device_key, const std::string& module, std::string error) {
  ModuleStatus* r = row(device_key, module);
  if (r == nullptr || r->error == error) return;
  r->error = std::move(error);
  changed(*r);
}

void FleetStatus::set_checked(const std::string& device_key, const std::string& module, std::int64_t check_ms) {
  ModuleStatus* r = row(device_key, module);
  if (r == nullptr || r->last_check_ms == check_ms) return;
  r->last_check_ms = check_ms;
  changed(*r);
}

void FleetStatus::set_waiting(const std::string& device_key, const std::string& module, std::string what) {
  ModuleStatus* r = row(device_key, module);
  if (r == nullptr || (r->state == DeviceActivity::waiting && r->waiting_for == what)) return;
  if (pending_.count({device_key, module}) > 0) emit_row(*r);
  r->state = DeviceActivity::waiting;
  r->waiting_for = std::move(what);
  r->progress = -1;
  r->flash_progress = -1;
  changed(*r);
}

void FleetStatus::set_result(const std::string& device_key, const std::string& module, std::int64_t check_ms,
                             std::string last_result, std::optional<std::string> error) {
  ModuleStatus* r = row(device_key, module);
  if (r == nullptr) return;
  if (pending_.count({device_key, module}) > 0) emit_row(*r);
  r->state = DeviceActivity::idle;
  r->waiting_for.clear();
  r->progress = -1;
  r->flash_progress = -1;
  r->target_version.clear();
  if (check_ms != 0) r->last_check_ms = check_ms;
  r->last_result = std::move(last_result);
  if (error) r->error = std::move(*error);
  changed(*r);
}

void FleetStatus::pass_started(std::size_t devices) {
  pass_.running = true;
  ++pass_.number;
  pass_.started_ms = now_ms();
  pass_.ended_ms = 0;
  pass_.next_ms = 0;
  pass_.devices = devices;
  pass_.visited = 0;
  if (listener_) listener_(StatusEvent{StatusEvent::Kind::pass, nullptr, &pass_});
}

void FleetStatus::device_visited() { ++pass_.visited; }

void FleetStatus::pass_ended(std::string summary, std::int64_t next_ms) {
  pass_.running = false;
  pass_.ended_ms = now_ms();
  pass_.next_ms = next_ms;
  pass_.last_summary = std::move(summary);
  if (listener_) listener_(StatusEvent{StatusEvent::Kind::pass, nullptr, &pass_});
}

void FleetStatus::set_next_pass(std::int64_t next_ms) { pass_.next_ms = next_ms; }

void FleetStatus::set_connection(std::string state, std::string broker, std::string detail) {
  if (state == connection_.state && broker == connection_.broker && detail == connection_.detail) return;
  if (state != connection_.state) connection_.since_ms = now_ms();
  connection_.state = std::move(state);
  connection_.broker = std::move(broker);
  connection_.detail = std::move(detail);
  if (listener_) listener_(StatusEvent{StatusEvent::Kind::connection, nullptr, nullptr, &connection_});
}

}  // namespace otagw::subdev
