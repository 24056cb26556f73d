#include "subdev/job_journal.hpp"

#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "subdev/json_text.hpp"
#include "subdev/registry.hpp"
#include "transports/atomic_file.hpp"
#include "transports/blocking_call.hpp"
#include "transports/device_log.hpp"

namespace otagw::subdev {
namespace {

JobPhase parse_phase(const std::string& text) {
  if (text == "downloading") return JobPhase::downloading;
  if (text == "verified") return JobPhase::verified;
  if (text == "flashing") return JobPhase::flashing;
  if (text == "confirming") return JobPhase::confirming;
  throw std::runtime_error("unknown phase '" + text + "'");
}

nlohmann::json to_json(const JobRecord& record) {
  nlohmann::json files = nlohmann::json::array();
  for (const JobFile& file : record.files) {
    files.push_back({{"name", file.name}, {"url", file.url}, {"size", file.size}, {"sign", file.sign}});
  }
  return {{"version", JobRecord::kFormatVersion},
          {"device", record.device_key},
          {"module", record.module},
          {"phase", to_string(record.phase)},
          {"target_version", record.target_version},
          {"previous_version", record.previous_version},
          {"sign_method", record.sign_method},
          {"multi_file", record.multi_file},
          {"files", std::move(files)},
          {"ext_data", record.ext_data},
          {"is_diff", record.is_diff},
          {"flash_attempts", record.flash_attempts}};
}

JobRecord from_json(const nlohmann::json& j) {
  if (j.at("version").get<int>() != JobRecord::kFormatVersion) throw std::runtime_error("unknown format version");
  JobRecord record;
  record.device_key = j.at("device").get<std::string>();
  record.module = j.at("module").get<std::string>();
  record.phase = parse_phase(j.at("phase").get<std::string>());
  record.target_version = j.at("target_version").get<std::string>();
  record.previous_version = j.at("previous_version").get<std::string>();
  record.sign_method = j.at("sign_method").get<std::string>();
  record.multi_file = j.at("multi_file").get<bool>();
  for (const auto& file : j.at("files")) {
    record.files.push_back({file.at("name").get<std::string>(), file.at("url").get<std::string>(),
                            file.at("size").get<std::uint64_t>(), file.at("sign").get<std::string>()});
  }
  // Journals written before the message seam hold the object itself.
  const auto& ext_data = j.at("ext_data");
  record.ext_data = ext_data.is_string() ? ext_data.get<std::string>()
                                         : ext_data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  record.is_diff = j.at("is_diff").get<bool>();
  record.flash_attempts = j.at("flash_attempts").get<int>();
  return record;
}

}  // namespace

std::string_view to_string(JobPhase phase) noexcept {
  switch (phase) {
    case JobPhase::downloading: return "downloading";
    case JobPhase::verified: return "verified";
    case JobPhase::flashing: return "flashing";
    case JobPhase::confirming: return "confirming";
  }
  return "unknown";
}

JobJournal::JobJournal(std::filesystem::path jobs_root) : root_(std::move(jobs_root)) {
  std::set<std::string> keys;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code unsure;
    const bool journaled = std::filesystem::exists(it->path() / "job.json", unsure);
    if (journaled || unsure) keys.insert(it->path().filename().string());
  }
  if (ec && ec != std::errc::no_such_file_or_directory) return;  // unreadable: load() looks every time
  journaled_ = std::move(keys);
}

std::filesystem::path JobJournal::job_dir(const std::string& device_key) const { return root_ / device_key; }

std::filesystem::path JobJournal::image_dir(const std::string& device_key) const {
  return job_dir(device_key) / "image";
}

std::optional<JobRecord> JobJournal::load(const std::string& device_key) const {
  if (journaled_ && journaled_->count(device_key) == 0) return std::nullopt;
  const auto file = job_dir(device_key) / "job.json";
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  try {
    auto record = from_json(nlohmann::json::parse(text.str()));
    if (record.device_key != device_key) throw std::runtime_error("journal of another device");
    return record;
  } catch (const std::exception& e) {
    auto broken = file;
    broken += ".broken";
    std::error_code ec;
    std::filesystem::rename(file, broken, ec);
    if (!ec && journaled_) journaled_->erase(device_key);
    device_log::error(display_name_of_key(device_key), "", "sub-device {}: job journal unreadable ({}); moved to {}",
                      device_key, e.what(), broken.string());
    return std::nullopt;
  }
}

std::size_t JobJournal::remove_unexplained() const {
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root_, ec)) {
    std::error_code ignored;
    const bool explained = entry.is_directory(ignored) && (std::filesystem::exists(entry.path() / "job.json", ignored) ||
                                                           std::filesystem::exists(entry.path() / "job.json.broken", ignored));
    if (explained) continue;
    if (std::filesystem::remove_all(entry.path(), ignored) > 0 && !ignored) ++removed;
  }
  return removed;
}

asio::awaitable<std::error_code> JobJournal::save(JobRecord record, asio::any_io_executor blocking_pool) const {
  if (journaled_) journaled_->insert(record.device_key);  // before the write: a failed one may leave a file
  auto dir = job_dir(record.device_key);
  auto contents = json_text(to_json(record), 1);
  // A named function object: g++ 12 double-frees capturing lambdas that are
  // temporaries in a co_await expression.
  auto write = [dir = std::move(dir), contents = std::move(contents)] {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return ec;
    return transports::write_file_atomically(dir / "job.json", contents);
  };
  co_return co_await transports::run_blocking(std::move(blocking_pool), std::move(write));
}

void JobJournal::remove(const std::string& device_key) const {
  std::error_code ec;
  std::filesystem::remove_all(job_dir(device_key), ec);
  if (!ec && journaled_) journaled_->erase(device_key);
  if (ec) {
    device_log::warn(display_name_of_key(device_key), "", "sub-device {}: cannot remove {}: {}", device_key,
                     job_dir(device_key).string(), ec.message());
  }
}

}  // namespace otagw::subdev
