// A subdevices_dir file: the input is its YAML text, read as
// load_subdevices_dir reads each file, then checked as the loader checks all
// entries (against one plugin, "flash", so valid items pass).
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/source_context.hpp"
#include "config/subdevices.hpp"
#include "config/yaml_document.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace detail = otagw::config::detail;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<otagw::config::ConfigError> errors;
  detail::SourceContext src("sub.yaml", "/nonexistent-otagw-fuzz", errors);
  std::vector<detail::SubdeviceEntry> entries;
  std::map<std::string, otagw::config::PluginConfig> plugins;
  plugins["flash"].name = "flash";
  // The loader catches what the standard library may still throw
  // (load_config_string); anything else escaping is a finding.
  try {
    if (const auto root = detail::parse_yaml_document(text, src)) {
      detail::parse_subdevice_list(*root, "", 1, src, entries);
      detail::check_subdevices(entries, plugins, errors);
    }
  } catch (const std::exception&) {
    return 0;
  }
  for (const auto& entry : entries) OTAGW_FUZZ_CHECK(entry.source == &src);
  for (const auto& error : errors) OTAGW_FUZZ_CHECK(!error.message.empty());
  return 0;
}
