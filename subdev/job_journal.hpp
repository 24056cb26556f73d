#pragma once
// The firmware job's journal: state_dir/jobs/<pk>.<dn>/job.json, written
// (atomically) before each step, so a daemon killed at any point resumes the
// job where it was instead of repeating or skipping an irreversible step.
//
//   downloading -> verified -> flashing -> confirming -> (removed)
//
// After a restart: downloading resumes from the bytes on disk (re-hashed) once
// the cloud offers the package again; verified and flashing ask the plugin
// for the device's version and flash again from the kept image unless the
// target is already there. `flash_attempts` breaks a crash loop. confirming
// (the plugin exited 0) is never flashed again: the device's version is
// confirmed as after a flash, for up to the plugin's confirm_timeout_s.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "transports/asio.hpp"

namespace otagw::subdev {

enum class JobPhase { downloading, verified, flashing, confirming };

[[nodiscard]] std::string_view to_string(JobPhase phase) noexcept;

struct JobFile {
  std::string name;  // file name inside the job's image directory
  std::string url;
  std::uint64_t size = 0;
  std::string sign;  // lowercase hex digest
};

struct JobRecord {
  static constexpr int kFormatVersion = 1;

  std::string device_key;  // "{pk}.{dn}"
  std::string module;      // "" = default
  JobPhase phase = JobPhase::downloading;
  std::string target_version;
  std::string previous_version;  // what the device ran before
  std::string sign_method;       // "md5" | "sha256"
  bool multi_file = false;
  std::vector<JobFile> files;    // one for a single-file package
  std::string ext_data = "{}";  // the offer's extData: compact JSON text of an object
  bool is_diff = false;
  int flash_attempts = 0;
};

class JobJournal {
 public:
  // More flash attempts than this for one job and it fails instead of
  // flashing again: a plugin that kills the daemon must not loop forever.
  static constexpr int kMaxFlashAttempts = 3;

  explicit JobJournal(std::filesystem::path jobs_root);

  [[nodiscard]] std::filesystem::path job_dir(const std::string& device_key) const;
  [[nodiscard]] std::filesystem::path image_dir(const std::string& device_key) const;

  // The device's journaled job, if any. A journal that does not parse is
  // moved aside (job.json.broken) and counts as none. Looks at the disk only
  // for a device whose journal this object has seen (at construction, or
  // saved since): a pass asks for every device's, and almost none has one.
  [[nodiscard]] std::optional<JobRecord> load(const std::string& device_key) const;

  // Writes the record atomically (on the blocking pool).
  asio::awaitable<std::error_code> save(JobRecord record, asio::any_io_executor blocking_pool) const;

  // Removes the job's directory: journal, staging files, kept image.
  void remove(const std::string& device_key) const;

  // At start-up: removes whatever under the jobs root no journal explains
  // (a directory without job.json, left by a version query or a crash
  // before the first save; stray files). A directory holding a
  // job.json.broken is kept for a human to read. Returns how many entries
  // went.
  std::size_t remove_unexplained() const;

 private:
  std::filesystem::path root_;
  // Device keys whose job.json exists or may exist, from the jobs root at
  // construction and kept by save(), remove() and load(); nullopt when the
  // root could not be read (then load() always looks).
  mutable std::optional<std::set<std::string>> journaled_;
};

}  // namespace otagw::subdev
