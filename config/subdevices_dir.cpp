#include "config/subdevices_dir.hpp"

#include <algorithm>
#include <system_error>

#include "config/message_text.hpp"
#include "config/text_file.hpp"
#include "config/yaml_document.hpp"

namespace otagw::config::detail {

std::vector<std::filesystem::path> subdevice_files(const std::filesystem::path& dir, std::string& error) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  std::error_code ec;
  const fs::file_status status = fs::status(dir, ec);
  if (!fs::exists(status)) {
    error = "directory " + quote_value(dir.string()) + " does not exist";
    return files;
  }
  if (!fs::is_directory(status)) {
    error = quote_value(dir.string()) + " is not a directory";
    return files;
  }
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= 5 || name.front() == '.' || !name.ends_with(".yaml")) continue;
    std::error_code type_ec;
    if (it->is_directory(type_ec)) continue;
    // A broken symlink stays in the list: reading it reports the problem.
    files.push_back(it->path());
  }
  if (ec) {
    error = "cannot list " + quote_value(dir.string()) + ": " + ec.message();
    files.clear();
    return files;
  }
  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename().native() < b.filename().native(); });
  return files;
}

void load_subdevices_dir(const std::filesystem::path& dir, int key_line, SourceContext& main_src,
                         std::vector<ConfigError>& errors, std::deque<SourceContext>& sources,
                         std::vector<SubdeviceEntry>& out) {
  std::string error;
  const std::vector<std::filesystem::path> files = subdevice_files(dir, error);
  if (!error.empty()) {
    main_src.error("subdevices_dir", key_line, std::move(error));
    return;
  }
  for (const std::filesystem::path& file : files) {
    SourceContext& src = sources.emplace_back(file, dir, errors, true);
    const FileText text = read_text_file(file, kMaxConfigFileBytes);
    if (!text.error.empty()) {
      src.error("", 0, "cannot read: " + text.error);
      continue;
    }
    const std::optional<YAML::Node> root = parse_yaml_document(text.text, src);
    if (!root) continue;
    // An empty file (or one of comments only) adds no sub-devices.
    parse_subdevice_list(*root, "", 1, src, out);
  }
}

}  // namespace otagw::config::detail
