#include "config/load.hpp"

#include <algorithm>
#include <deque>
#include <exception>
#include <map>
#include <system_error>

#include "config/message_text.hpp"
#include "config/sections.hpp"
#include "config/source_context.hpp"
#include "config/subdevices.hpp"
#include "config/subdevices_dir.hpp"
#include "config/text_file.hpp"
#include "config/yaml_document.hpp"
#include "config/yaml_map_reader.hpp"

namespace otagw::config {

namespace {

using detail::SourceContext;
using detail::SubdeviceEntry;

// Reading is one pass per file; cross-file checks run once everything is read.
class Loader {
 public:
  Loader(const std::filesystem::path& file_name, const std::filesystem::path& base_dir, bool on_disk)
      : main_(sources_.emplace_back(file_name, base_dir, errors_, on_disk)) {}

  void load(std::string_view yaml) {
    const std::optional<YAML::Node> root = detail::parse_yaml_document(yaml, main_);
    if (!root) return;
    if (root->IsNull()) {
      main_.error("", 0, "the file is empty; it needs at least a gateway section");
      return;
    }
    const MapReader top(*root, "", 1, main_,
                        {"gateway", "mqtt", "ota", "control", "log", "plugins", "subdevices", "subdevices_dir"});
    if (!top.ok()) return;

    if (top.has("gateway")) {
      detail::parse_gateway(top.value("gateway"), top.line("gateway"), main_, config_.gateway);
    } else {
      top.missing("gateway");
    }
    detail::parse_mqtt(top.value("mqtt"), top.line("mqtt"), main_, config_.gateway.product_key, config_.mqtt);
    detail::parse_ota(top.value("ota"), top.line("ota"), main_, config_.ota);
    detail::parse_control(top.value("control"), top.line("control"), main_, config_.control);
    detail::parse_log(top.value("log"), top.line("log"), main_, config_.log);
    detail::parse_plugins(top.value("plugins"), top.line("plugins"), main_, config_.plugins);
    detail::parse_subdevice_list(top.value("subdevices"), "subdevices", top.line("subdevices"), main_, entries_);
    if (auto dir = top.string("subdevices_dir")) {
      config_.subdevices_dir = main_.resolve(*dir);
      detail::load_subdevices_dir(config_.subdevices_dir, top.line("subdevices_dir"), main_, errors_, sources_,
                                  entries_);
    }
    detail::check_subdevices(entries_, config_.plugins, errors_);
  }

  void error(std::string message) { main_.error("", 0, std::move(message)); }

  LoadResult finish() {
    sort_errors();
    LoadResult result;
    if (errors_.empty()) {
      config_.subdevices.reserve(entries_.size());
      for (SubdeviceEntry& entry : entries_) config_.subdevices.push_back(std::move(entry.config));
      result.config = std::move(config_);
    }
    result.errors = std::move(errors_);
    return result;
  }

 private:
  // Checks run after parsing, so errors are put back in file order: the main
  // file, then the subdevices_dir files as read; by line within a file.
  void sort_errors() {
    std::map<std::filesystem::path, std::size_t> rank;
    for (const SourceContext& src : sources_) rank.emplace(src.file(), rank.size());
    std::stable_sort(errors_.begin(), errors_.end(), [&rank](const ConfigError& a, const ConfigError& b) {
      const std::size_t ra = rank[a.file];
      const std::size_t rb = rank[b.file];
      return ra != rb ? ra < rb : a.line < b.line;
    });
  }

  std::vector<ConfigError> errors_;
  std::deque<SourceContext> sources_;  // deque: entries_ point into it
  SourceContext& main_;
  Config config_;
  std::vector<SubdeviceEntry> entries_;
};

std::filesystem::path absolute_or_same(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  return ec ? path : absolute;
}

}  // namespace

namespace {

LoadResult load_text(std::string_view yaml, const std::filesystem::path& file_name,
                     const std::filesystem::path& base_dir, bool on_disk) {
  Loader loader(file_name, absolute_or_same(base_dir), on_disk);
  try {
    loader.load(yaml);
  } catch (const std::exception& e) {
    // yaml-cpp and the standard library may still throw (bad_alloc, a
    // filesystem error); none of their messages carry a config value.
    loader.error(std::string("internal error while loading: ") + e.what());
  }
  return loader.finish();
}

}  // namespace

LoadResult load_config_string(std::string_view yaml, const std::filesystem::path& file_name,
                              const std::filesystem::path& base_dir) {
  return load_text(yaml, file_name, base_dir, false);
}

LoadResult load_config_file(const std::filesystem::path& path) {
  const detail::FileText text = detail::read_text_file(path, detail::kMaxConfigFileBytes);
  if (!text.error.empty()) {
    LoadResult result;
    result.errors.push_back(
        ConfigError{path, "", 0, "cannot read " + detail::quote_value(path.string()) + ": " + text.error});
    return result;
  }
  return load_text(text.text, path, absolute_or_same(path).parent_path(), true);
}

}  // namespace otagw::config
