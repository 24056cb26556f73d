#include "subdev/visit_markers.hpp"

#include <charconv>
#include <fstream>

#include <spdlog/spdlog.h>

#include "transports/device_log.hpp"

namespace otagw::subdev {

VisitMarkers::VisitMarkers(std::filesystem::path runtime_dir)
    : dir_(runtime_dir.empty() ? std::filesystem::path{} : runtime_dir / "channel") {
  if (dir_.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) {
    spdlog::warn("crash-loop markers disabled: cannot create {}: {}", dir_.string(), ec.message());
    dir_.clear();
  }
}

std::filesystem::path VisitMarkers::marker(const std::string& device_key) const { return dir_ / device_key; }

int VisitMarkers::ends_in_a_row(const std::string& device_key) const {
  if (dir_.empty()) return 0;
  std::ifstream in(marker(device_key));
  std::string text;
  if (!in || !std::getline(in, text)) return in.is_open() ? 1 : 0;  // present but empty: written, then cut by a crash
  int count = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
  if (ec != std::errc{} || count < 1) return 1;
  return count;
}

bool VisitMarkers::begin(const Subdevice& device) {
  const std::string device_key = device.key();
  if (dir_.empty()) return true;
  const int ended = ends_in_a_row(device_key);
  if (ended >= kMaxEndsInARow) {
    device_log::error(device.display_name(), "",
                      "sub-device {}: skipped in this pass: otagwd ended {} times in a row during its visit (a message or "
                      "a plugin that crashes the daemon?); it is visited again next pass",
                      device.display_name(), ended);
    end(device_key);
    return false;
  }
  if (ended > 0) {
    device_log::warn(device.display_name(), "", "sub-device {}: otagwd ended during its last {} visit(s); visiting it again",
                     device.display_name(), ended);
  }
  // Written before the visit: counts this run in case it does not return.
  std::ofstream(marker(device_key), std::ios::trunc) << (ended + 1) << '\n';
  return true;
}

void VisitMarkers::end(const std::string& device_key) {
  if (dir_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove(marker(device_key), ignored);
}

}  // namespace otagw::subdev
