#include "subdev/plugin_run_records.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "transports/device_log.hpp"
#include "transports/log_text.hpp"

namespace otagw::subdev {
namespace {

std::string read_small_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text;
  char buffer[4096];
  while (in && text.size() < 65536) {
    in.read(buffer, sizeof buffer);
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
  }
  return text;
}

// The fields of /proc/<pid>/stat after the command name (which may hold
// spaces and parentheses: it ends at the last ')').
struct ProcStat {
  char state = '?';
  pid_t pgrp = 0;
  std::uint64_t start_ticks = 0;
};

std::optional<ProcStat> read_proc_stat(pid_t pid) noexcept {
  try {
    const std::string text = read_small_file("/proc/" + std::to_string(pid) + "/stat");
    const auto close = text.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(text.substr(close + 1));
    ProcStat stat;
    std::string skip;
    // state(3) ppid(4) pgrp(5) ... starttime(22)
    long long ppid = 0, pgrp = 0;
    if (!(fields >> stat.state >> ppid >> pgrp)) return std::nullopt;
    for (int field = 6; field < 22; ++field) {
      if (!(fields >> skip)) return std::nullopt;
    }
    if (!(fields >> stat.start_ticks)) return std::nullopt;
    stat.pgrp = static_cast<pid_t>(pgrp);
    return stat;
  } catch (...) {
    return std::nullopt;
  }
}

struct Member {
  pid_t pid;
  ProcStat stat;
};

// Live (not zombie) processes in group `pgid`.
std::vector<Member> group_members(pid_t pgid) {
  std::vector<Member> members;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    pid_t pid = 0;
    const auto [end, parse_error] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (parse_error != std::errc() || end != name.data() + name.size()) continue;
    const auto stat = read_proc_stat(pid);
    if (!stat || stat->pgrp != pgid || stat->state == 'Z' || stat->state == 'X') continue;
    members.push_back({pid, *stat});
  }
  return members;
}

struct Record {
  std::string device;
  std::string command;
  pid_t pgid = 0;
  std::uint64_t start_ticks = 0;
  std::string boot_id;
};

std::optional<Record> parse_record(const std::string& text) noexcept {
  try {
    const auto json = nlohmann::json::parse(text);
    Record record;
    record.device = json.at("device").get<std::string>();
    record.command = json.at("command").get<std::string>();
    const auto pgid = json.at("pgid").get<std::int64_t>();
    if (pgid <= 1 || pgid > 4194304) return std::nullopt;  // pid_max's ceiling
    record.pgid = static_cast<pid_t>(pgid);
    record.start_ticks = json.at("start_ticks").get<std::uint64_t>();
    record.boot_id = json.at("boot_id").get<std::string>();
    return record;
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<std::uint64_t> process_start_ticks(pid_t pid) noexcept {
  const auto stat = read_proc_stat(pid);
  if (!stat) return std::nullopt;
  return stat->start_ticks;
}

std::string current_boot_id() noexcept {
  try {
    std::string id = read_small_file("/proc/sys/kernel/random/boot_id");
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    return id;
  } catch (...) {
    return {};
  }
}

PluginRunRecords::PluginRunRecords(std::filesystem::path dir) : dir_(std::move(dir)), boot_id_(current_boot_id()) {}

std::filesystem::path PluginRunRecords::record_path(pid_t pgid) const {
  return dir_ / (std::to_string(pgid) + ".json");
}

void PluginRunRecords::started(pid_t pgid, std::string_view device_key, std::string_view command) noexcept {
  try {
    const auto start_ticks = process_start_ticks(pgid);
    if (!start_ticks) return;  // already gone: nothing can be left of it
    const nlohmann::json record = {{"device", device_key},   {"command", command},   {"pgid", pgid},
                                   {"start_ticks", *start_ticks}, {"boot_id", boot_id_}};
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    const auto path = record_path(pgid);
    const auto temp = dir_ / (path.filename().string() + ".tmp");
    {
      std::ofstream out(temp, std::ios::binary | std::ios::trunc);
      out << record.dump() << '\n';
      out.flush();
      if (!out) {
        device_log::warn(device_key, "", "cannot record plugin run of {} in {}: {}", log_text(device_key), temp.string(),
                         std::strerror(errno));
        return;
      }
    }
    std::filesystem::rename(temp, path, ec);
    if (ec) {
      device_log::warn(device_key, "", "cannot record plugin run of {} in {}: {}", log_text(device_key), path.string(),
                       ec.message());
    }
  } catch (const std::exception& e) {
    device_log::warn(device_key, "", "cannot record plugin run of {}: {}", log_text(device_key), e.what());
  }
}

void PluginRunRecords::ended(pid_t pgid) noexcept {
  try {
    std::error_code ec;
    std::filesystem::remove(record_path(pgid), ec);
  } catch (...) {
  }
}

std::size_t PluginRunRecords::end_orphans() noexcept {
  std::size_t ended_count = 0;
  try {
    std::error_code ec;
    std::vector<std::filesystem::path> paths;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) paths.push_back(entry.path());
    for (const auto& path : paths) {
      const auto record = path.extension() == ".json" ? parse_record(read_small_file(path)) : std::nullopt;
      std::filesystem::remove(path, ec);
      if (!record) continue;  // a temp file or a record cut short: nothing to trust in it
      if (record->boot_id != boot_id_ || boot_id_.empty()) continue;  // a reboot ended it
      if (record->pgid == ::getpgrp()) continue;
      auto members = group_members(record->pgid);
      bool ours = !members.empty();
      for (const auto& member : members) {
        // A leader with another start time is a new process that got the
        // pid; nothing of the group predates its leader.
        if (member.stat.start_ticks < record->start_ticks ||
            (member.pid == record->pgid && member.stat.start_ticks != record->start_ticks)) {
          ours = false;
        }
      }
      if (!ours) continue;
      device_log::warn(record->device, "",
                       "{}: ending {} process(es) left of a plugin '{}' run by an earlier daemon (process group {})",
                       log_text(record->device), members.size(), log_text(record->command), record->pgid);
      ::kill(-record->pgid, SIGKILL);
      ended_count += members.size();
      // SIGKILL is quick; a process stuck in the kernel (D state) ends when
      // the call returns, and the device is not touched before then.
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (!group_members(record->pgid).empty()) {
        if (std::chrono::steady_clock::now() > give_up) {
          device_log::error(record->device, "", "{}: process group {} does not end after SIGKILL; going on",
                            log_text(record->device), record->pgid);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("cannot look for orphaned plugin runs in {}: {}", dir_.string(), e.what());
  }
  return ended_count;
}

}  // namespace otagw::subdev
