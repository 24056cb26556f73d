#include "subdev/visit_markers.hpp"

#include <fcntl.h>
#include <unistd.h>

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
    return;
  }
  prefix_ = (dir_ / "").string();
  // What earlier runs left: a visit looks at its marker only when there is
  // one, instead of trying to open a file that is almost never there.
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    left_behind_.insert(entry.path().filename().string());
  }
}

std::string VisitMarkers::marker(const std::string& device_key) const { return prefix_ + device_key; }

int VisitMarkers::ends_in_a_row(const std::string& device_key) const {
  if (dir_.empty() || left_behind_.count(device_key) == 0) return 0;
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
  // (open/write/close: one marker a visit, thousands a pass; a stream costs
  // more than the three calls.)
  const std::string path = marker(device_key);
  const std::string count = std::to_string(ended + 1) + '\n';
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd >= 0) {
    (void)!::write(fd, count.data(), count.size());
    ::close(fd);
  }
  return true;
}

void VisitMarkers::end(const std::string& device_key) {
  if (dir_.empty()) return;
  ::unlink(marker(device_key).c_str());
  left_behind_.erase(device_key);
}

}  // namespace otagw::subdev
