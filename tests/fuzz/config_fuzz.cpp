// The config loader, through the daemon's own entry (load_config_string is
// what load_config_file calls after reading the file): the input is the YAML
// text of the main config file.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "config/load.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

// Relative paths (subdevices_dir, *_file keys) resolve against an empty
// directory, so a run does not depend on the directory it started in.
const std::filesystem::path& base_dir() {
  static const std::filesystem::path dir = [] {
    auto path = std::filesystem::temp_directory_path() / "otagw-fuzz-config";
    std::filesystem::create_directories(path);
    return path;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = otagw::config::load_config_string(text, "fuzz.yaml", base_dir());

  // A config comes back exactly when there are no errors.
  OTAGW_FUZZ_CHECK(result.config.has_value() == result.errors.empty());
  // Every error says something and points inside the file (line 0: the file
  // as a whole, or a subdevices_dir file, whose lines are not in `text`).
  const auto lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
  for (const auto& error : result.errors) {
    OTAGW_FUZZ_CHECK(!error.message.empty());
    OTAGW_FUZZ_CHECK(error.line >= 0);
    OTAGW_FUZZ_CHECK(error.file != "fuzz.yaml" || error.line <= lines + 1);
    OTAGW_FUZZ_CHECK(!error.to_string("fuzz.yaml").empty());
  }
  return 0;
}
