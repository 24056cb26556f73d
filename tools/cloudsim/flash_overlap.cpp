#include "tools/cloudsim/flash_overlap.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <limits>
#include <map>

namespace otagw::cloudsim {
namespace {

std::optional<int> step_number(std::string_view step) {
  int value = 0;
  const auto [end, ec] = std::from_chars(step.data(), step.data() + step.size(), value);
  if (ec != std::errc() || end != step.data() + step.size()) return std::nullopt;
  return value;
}

// One module's progress and informs in time order (each list already is).
void add_module_spans(const DeviceState& device, const std::string& module, std::vector<FlashSpan>& out) {
  const std::string label = module == kDefaultModule ? device.device_name : device.device_name + "/" + module;
  // (A flag and a value, not std::optional: g++ 12 at -O2 takes the
  // optional's value for maybe-uninitialized inside the lambda.)
  bool flashing = false;
  std::int64_t started = 0;
  const auto close = [&](std::int64_t t_ms) {
    if (flashing) out.push_back({label, device.bus, started, std::max(started, t_ms)});
    flashing = false;
  };
  std::size_t p = 0, i = 0;
  const auto& progress = device.progress;
  const auto& informs = device.informs;
  while (p < progress.size() || i < informs.size()) {
    // At the same millisecond the progress came first: a job reports 100, then informs.
    const bool take_progress = i == informs.size() || (p < progress.size() && progress[p].t_ms <= informs[i].t_ms);
    if (take_progress) {
      const auto& record = progress[p++];
      if (record.module != module) continue;
      const auto step = step_number(record.step);
      if (!step) continue;
      if (*step == 100) {
        if (!flashing) started = record.t_ms;
        flashing = true;
      } else if (*step < 0) {
        close(record.t_ms);
      } else {
        flashing = false;  // a new download: the last job never told how it ended
      }
    } else {
      const auto& record = informs[i++];
      if (record.module == module) close(record.t_ms);
    }
  }
}

}  // namespace

std::vector<FlashSpan> flash_spans(const std::vector<DeviceState>& devices) {
  std::map<std::string, std::vector<FlashSpan>> by_bus;
  for (const auto& device : devices) {
    std::vector<std::string> modules;
    if (device.modules.empty()) modules.emplace_back(kDefaultModule);
    for (const auto& module : device.modules) modules.push_back(module.name);
    for (const auto& module : modules) add_module_spans(device, module, by_bus[device.bus]);
  }
  std::vector<FlashSpan> spans;
  for (auto& [bus, list] : by_bus) {
    std::stable_sort(list.begin(), list.end(), [](const FlashSpan& a, const FlashSpan& b) { return a.end_ms < b.end_ms; });
    std::int64_t bus_free = std::numeric_limits<std::int64_t>::min();
    for (auto& span : list) {
      span.start_ms = std::min(span.end_ms, std::max(span.start_ms, bus_free));
      bus_free = span.end_ms;
      spans.push_back(std::move(span));
    }
  }
  std::stable_sort(spans.begin(), spans.end(),
                   [](const FlashSpan& a, const FlashSpan& b) { return a.start_ms < b.start_ms; });
  return spans;
}

std::optional<FlashOverlap> longest_overlap(const std::vector<FlashSpan>& spans, const std::vector<std::string>& buses) {
  const auto wanted = [&](const FlashSpan& a, const FlashSpan& b) {
    if (a.bus == b.bus) return false;
    if (buses.size() != 2) return true;
    return (a.bus == buses[0] && b.bus == buses[1]) || (a.bus == buses[1] && b.bus == buses[0]);
  };
  std::vector<const FlashSpan*> by_start;
  for (const auto& span : spans) by_start.push_back(&span);
  std::stable_sort(by_start.begin(), by_start.end(),
                   [](const FlashSpan* a, const FlashSpan* b) { return a->start_ms < b->start_ms; });
  std::optional<FlashOverlap> best;
  for (std::size_t i = 0; i < by_start.size(); ++i) {
    const FlashSpan& a = *by_start[i];
    for (std::size_t j = i + 1; j < by_start.size() && by_start[j]->start_ms < a.end_ms; ++j) {
      const FlashSpan& b = *by_start[j];
      const std::int64_t ms = std::min(a.end_ms, b.end_ms) - b.start_ms;
      if (ms > 0 && wanted(a, b) && (!best || ms > best->ms)) best = FlashOverlap{ms, a, b};
    }
  }
  return best;
}

std::string overlap_text(const FlashOverlap& overlap) {
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), "%.1f s", static_cast<double>(overlap.ms) / 1000.0);
  return std::string(seconds) + " (" + overlap.first.label + " on " + overlap.first.bus + ", " + overlap.second.label +
         " on " + overlap.second.bus + ")";
}

}  // namespace otagw::cloudsim
