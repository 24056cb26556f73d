#include "tools/cloudsim/report.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

namespace otagw::cloudsim {
namespace {

nlohmann::json device_json(const DeviceState& device) {
  nlohmann::json queries = nlohmann::json::array();
  for (const auto& q : device.queries) queries.push_back({{"module", q.module}, {"t_ms", q.t_ms}});
  nlohmann::json informs = nlohmann::json::array();
  for (const auto& i : device.informs) informs.push_back({{"version", i.version}, {"module", i.module}, {"t_ms", i.t_ms}});
  nlohmann::json progress = nlohmann::json::array();
  for (const auto& p : device.progress) {
    progress.push_back({{"step", p.step}, {"desc", p.desc}, {"module", p.module}, {"t_ms", p.t_ms}});
  }
  return {
      {"product_key", device.product_key},
      {"device_name", device.device_name},
      {"topology", device.topology},
      {"online", device.online},
      {"logins", device.logins},
      {"login_failures", device.login_failures},
      {"queries", std::move(queries)},
      {"informs", std::move(informs)},
      {"progress", std::move(progress)},
      {"pushes", device.pushes},
  };
}

Unexpected system_error(int err, std::string context) {
  return make_error(std::error_code(err, std::generic_category()), std::move(context));
}

}  // namespace

nlohmann::json make_report(const SimState& state, Clock::time_point now) {
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& device : state.devices.all()) devices.push_back(device_json(device));
  nlohmann::json violations = nlohmann::json::array();
  for (const auto& v : state.violations.kept()) {
    violations.push_back({{"t_ms", v.t_ms}, {"topic", v.topic}, {"what", v.what}});
  }
  const auto& c = state.counters;
  return {
      {"gateway", {{"product_key", state.gateway.product_key}, {"device_name", state.gateway.device_name}}},
      {"duration_ms", state.t_ms(now)},
      {"devices", std::move(devices)},
      {"violations", std::move(violations)},
      {"counters",
       {
           {"messages", c.messages},
           {"topo_add_requests", c.topo_add_requests},
           {"login_requests", c.login_requests},
           {"logout_requests", c.logout_requests},
           {"throttled", c.throttled},
           {"queries", c.queries},
           {"informs", c.informs},
           {"progress", c.progress},
           {"pushes", c.pushes},
           {"replies", c.replies},
           {"unknown_topics", c.unknown_topics},
           {"violations", state.violations.total()},
       }},
  };
}

Expected<void> write_file_atomically(const std::filesystem::path& path, std::string_view text) {
  const std::filesystem::path temp = path.string() + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return system_error(errno, "create " + temp.string());
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return system_error(err, "write " + temp.string());
    }
    written += static_cast<std::size_t>(n);
  }
  int sync_err = ::fsync(fd) == 0 ? 0 : errno;
  if (::close(fd) != 0 && sync_err == 0) sync_err = errno;
  if (sync_err != 0) {
    ::unlink(temp.c_str());
    return system_error(sync_err, "fsync/close " + temp.string());
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int rename_err = errno;
    ::unlink(temp.c_str());
    return system_error(rename_err, "rename " + temp.string() + " to " + path.string());
  }
  return {};
}

}  // namespace otagw::cloudsim
