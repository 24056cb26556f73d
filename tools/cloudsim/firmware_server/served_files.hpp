#pragma once
// The firmware server's catalogue: which URL path serves which file with which
// faults, and what each path was asked (counters for tests). Thread-safe: the
// server's loop and a test's thread may use it at once.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "tools/cloudsim/firmware_server/fault_spec.hpp"
#include "tools/cloudsim/firmware_server/response_plan.hpp"

namespace otagw::cloudsim {

class ServedFiles {
 public:
  struct Answer {
    ResponsePlan plan;
    std::filesystem::path file;  // where plan's file bytes come from
  };

  // Replaces an earlier entry for the path (its counters are kept).
  void add(std::string url_path, std::filesystem::path file, FaultSpec faults);
  // Throws std::invalid_argument for a path never added.
  void set_faults(const std::string& url_path, FaultSpec faults);

  [[nodiscard]] std::uint64_t requests(const std::string& url_path) const;
  [[nodiscard]] std::vector<std::string> range_headers(const std::string& url_path) const;

  // Counts the request and plans its answer: 404 for a path (query string
  // ignored) never added or whose file is gone.
  [[nodiscard]] Answer answer(std::string_view target, std::string_view range_header);

 private:
  struct Entry {
    std::filesystem::path file;
    FaultSpec faults;
    std::uint64_t requests = 0;
    int drops_done = 0;  // since the faults were set
    std::size_t scheduled_done = 0;  // requests met by faults.drop_schedule since the faults were set
    std::vector<std::string> ranges;
  };

  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace otagw::cloudsim
