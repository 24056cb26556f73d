#include "tools/cloudsim/firmware_server/served_files.hpp"

#include <stdexcept>
#include <system_error>

namespace otagw::cloudsim {

void ServedFiles::add(std::string url_path, std::filesystem::path file, FaultSpec faults) {
  std::lock_guard lock(mutex_);
  auto& entry = entries_[std::move(url_path)];
  entry.file = std::move(file);
  entry.faults = std::move(faults);
  entry.drops_done = 0;
  entry.scheduled_done = 0;
}

void ServedFiles::set_faults(const std::string& url_path, FaultSpec faults) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(url_path);
  if (it == entries_.end()) throw std::invalid_argument("firmware server: no file at " + url_path);
  it->second.faults = std::move(faults);
  it->second.drops_done = 0;
  it->second.scheduled_done = 0;
}

std::uint64_t ServedFiles::requests(const std::string& url_path) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(url_path);
  return it == entries_.end() ? 0 : it->second.requests;
}

std::vector<std::string> ServedFiles::range_headers(const std::string& url_path) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(url_path);
  return it == entries_.end() ? std::vector<std::string>{} : it->second.ranges;
}

ServedFiles::Answer ServedFiles::answer(std::string_view target, std::string_view range_header) {
  // Signed URLs carry their signature in the query: serve by path only.
  const std::string_view path = target.substr(0, target.find('?'));
  std::lock_guard lock(mutex_);
  auto it = entries_.find(path);
  if (it == entries_.end()) return {error_plan(404), {}};
  Entry& entry = it->second;
  ++entry.requests;
  entry.ranges.emplace_back(range_header);
  std::error_code ec;
  const auto size = std::filesystem::file_size(entry.file, ec);
  if (ec) return {error_plan(404), {}};
  if (entry.scheduled_done < entry.faults.drop_schedule.size()) {
    const std::uint64_t at = entry.faults.drop_schedule[entry.scheduled_done++];
    FaultSpec faults = entry.faults;
    faults.drop_at_byte.reset();
    ResponsePlan plan = plan_response(faults, size, range_header, false);
    if (at == FaultSpec::kNoAnswer) {
      plan.no_answer = true;
    } else if (at < plan.file_bytes) {
      plan.drop_after = at;
    }
    return {std::move(plan), entry.file};
  }
  const bool drop_now = entry.faults.drop_at_byte &&
                        (entry.faults.drop_times <= 0 || entry.drops_done < entry.faults.drop_times);
  if (drop_now) ++entry.drops_done;
  return {plan_response(entry.faults, size, range_header, drop_now), entry.file};
}

}  // namespace otagw::cloudsim
