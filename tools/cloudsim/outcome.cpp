#include "tools/cloudsim/outcome.hpp"

#include <charconv>
#include <cstdio>
#include <map>

#include "tools/cloudsim/flash_overlap.hpp"

namespace otagw::cloudsim {
namespace {

std::optional<int> step_number(std::string_view step) {
  int value = 0;
  const auto [end, ec] = std::from_chars(step.data(), step.data() + step.size(), value);
  if (ec != std::errc() || end != step.data() + step.size()) return std::nullopt;
  return value;
}

const DeviceState* find_device(const SimState& state, const Expectation& expectation) {
  for (const auto& device : state.devices.all()) {
    if (device.device_name == expectation.device_name &&
        (expectation.product_key.empty() || device.product_key == expectation.product_key)) {
      return &device;
    }
  }
  return nullptr;
}

std::string seconds_text(std::int64_t ms) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f s", static_cast<double>(ms) / 1000.0);
  return text;
}

ExpectationResult judge_overlap(const Expectation& expectation, const std::vector<FlashSpan>& spans) {
  ExpectationResult result{expectation, false, {}};
  const auto overlap = longest_overlap(spans, expectation.overlap_buses);
  result.met = overlap && overlap->ms > expectation.overlap_min_ms;
  if (!result.met) {
    result.detail = overlap ? "longest overlap " + overlap_text(*overlap)
                            : "no flash on " + expectation.overlap_buses[0] + " overlapped one on " +
                                  expectation.overlap_buses[1] + " (one flash at a time)";
  }
  return result;
}

}  // namespace

std::string expectation_text(const Expectation& e) {
  if (e.is_overlap()) {
    std::string text = "flashes on " + e.overlap_buses[0] + " and " + e.overlap_buses[1] + " overlapped";
    if (e.overlap_min_ms > 0) text += " (over " + seconds_text(e.overlap_min_ms) + ")";
    return text;
  }
  std::string what = e.device_name + (e.module == kDefaultModule ? "" : "/" + e.module) + ":";
  if (e.version) what += " version " + *e.version;
  if (e.step) what += " step " + *e.step;
  if (e.result) what += " result " + *e.result;
  return what;
}

bool is_running(Phase phase) noexcept {
  switch (phase) {
    case Phase::offered:
    case Phase::downloading:
    case Phase::flashing:
    case Phase::bus_wait: return true;
    case Phase::waiting:
    case Phase::informed:
    case Phase::done: return false;
  }
  return false;
}

std::string_view to_string(Result result) noexcept {
  switch (result) {
    case Result::not_seen: return "not_seen";
    case Result::current: return "current";
    case Result::no_reply: return "no_reply";
    case Result::offered: return "offered";
    case Result::failed: return "failed";
    case Result::upgraded: return "upgraded";
  }
  return "not_seen";
}

std::string ModuleOutcome::label() const {
  return module == kDefaultModule ? device_name : device_name + "/" + module;
}

ModuleOutcome module_outcome(const DeviceState& device, std::string_view module) {
  ModuleOutcome outcome;
  outcome.product_key = device.product_key;
  outcome.device_name = device.device_name;
  outcome.module = std::string(module);
  outcome.bus = device.bus;
  for (const auto& inform : device.informs) {
    if (inform.module != module) continue;
    if (outcome.from.empty()) outcome.from = inform.version;
    outcome.version = inform.version;
  }
  bool queried = false;
  for (const auto& query : device.queries) queried = queried || query.module == module;
  std::string last_step, last_desc;
  for (const auto& progress : device.progress) {
    if (progress.module != module) continue;
    last_step = progress.step;
    last_desc = progress.desc;
    const auto number = step_number(progress.step);
    if (number && *number >= 0 && *number <= 100) outcome.progress = *number;
    if (number && *number != 100) outcome.downloaded_ms = -1;
    if (number && *number == 100 && outcome.downloaded_ms < 0) outcome.downloaded_ms = progress.t_ms;
  }
  const ModuleState* spec = device.find_module(module);
  bool no_reply = false;
  bool installed = false;
  if (spec != nullptr && spec->has_firmware) {
    outcome.to = spec->target_version;
    outcome.offers = spec->offers;
    no_reply = spec->query == QueryMode::no_reply;
    installed = spec->installed;
  }
  const auto last_number = step_number(last_step);
  const bool failed = last_number && *last_number < 0;
  if (failed) {
    outcome.failure_step = last_step;
    outcome.failure_desc = last_desc;
  }

  if (outcome.offers > 0 && !outcome.to.empty() && outcome.version == outcome.to) {
    outcome.result = Result::upgraded;
  } else if (failed) {
    outcome.result = Result::failed;
  } else if (outcome.offers > 0) {
    outcome.result = Result::offered;
  } else if (installed || (queried && !no_reply)) {
    outcome.result = Result::current;
  } else if (queried) {
    outcome.result = Result::no_reply;
  }

  switch (outcome.result) {
    case Result::not_seen:
      outcome.phase = outcome.from.empty() ? Phase::waiting : Phase::informed;
      break;
    case Result::offered:
      outcome.phase = outcome.progress < 0 ? Phase::offered : outcome.progress < 100 ? Phase::downloading : Phase::flashing;
      break;
    default:
      outcome.phase = Phase::done;
  }
  return outcome;
}

std::vector<ModuleOutcome> module_outcomes(const SimState& state) {
  std::vector<ModuleOutcome> rows;
  for (const auto& device : state.devices.all()) {
    if (device.modules.empty()) {
      rows.push_back(module_outcome(device, kDefaultModule));
      continue;
    }
    for (const auto& module : device.modules) rows.push_back(module_outcome(device, module.name));
  }
  // Per bus, the first flashing row to reach step 100 holds the bus.
  std::map<std::string, ModuleOutcome*> holders;
  for (auto& row : rows) {
    if (row.phase != Phase::flashing) continue;
    ModuleOutcome*& holder = holders[row.bus];
    if (holder == nullptr) {
      holder = &row;
    } else if (row.downloaded_ms < holder->downloaded_ms) {
      holder->phase = Phase::bus_wait;
      holder = &row;
    } else {
      row.phase = Phase::bus_wait;
    }
  }
  return rows;
}

std::vector<ExpectationResult> judge_expectations(const SimState& state) {
  std::vector<ExpectationResult> results;
  std::optional<std::vector<FlashSpan>> spans;  // computed once, when asked for
  for (const auto& expectation : state.expect) {
    if (expectation.is_overlap()) {
      if (!spans) spans = flash_spans(state.devices.all());
      results.push_back(judge_overlap(expectation, *spans));
      continue;
    }
    ExpectationResult result{expectation, false, {}};
    const DeviceState* device = find_device(state, expectation);
    if (device == nullptr) {
      result.detail = "no such device";
      results.push_back(std::move(result));
      continue;
    }
    const ModuleOutcome outcome = module_outcome(*device, expectation.module);
    std::vector<std::string> misses;
    if (expectation.version && outcome.version != *expectation.version) {
      misses.push_back(outcome.version.empty() ? "no version reported on inform"
                                               : "last version reported on inform is " + outcome.version);
    }
    if (expectation.step) {
      bool seen = false;
      for (const auto& progress : device->progress) {
        seen = seen || (progress.module == expectation.module && progress.step == *expectation.step);
      }
      if (!seen) misses.push_back("step " + *expectation.step + " never reported");
    }
    if (expectation.result && to_string(outcome.result) != *expectation.result) {
      misses.push_back("result is " + std::string(to_string(outcome.result)));
    }
    result.met = misses.empty();
    for (std::size_t i = 0; i < misses.size(); ++i) result.detail += (i == 0 ? "" : "; ") + misses[i];
    if (!result.met && !expectation.result) result.detail += " (result " + std::string(to_string(outcome.result)) + ")";
    results.push_back(std::move(result));
  }
  return results;
}

}  // namespace otagw::cloudsim
