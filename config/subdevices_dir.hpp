#pragma once
// subdevices_dir: a directory of YAML files, each a list shaped like the main
// file's `subdevices`, so sub-devices can be added by dropping in a file.
#include <deque>
#include <filesystem>
#include <vector>

#include "config/source_context.hpp"
#include "config/subdevices.hpp"

namespace otagw::config::detail {

// The files of `dir` that are read: names ending in ".yaml", not starting
// with '.', not directories; sorted by name (byte order). Empty on error.
[[nodiscard]] std::vector<std::filesystem::path> subdevice_files(const std::filesystem::path& dir, std::string& error);

// Reads each file of subdevice_files(dir) into `out`, in order. A problem with
// the directory itself is reported in `main_src` at the subdevices_dir key
// (line `key_line`); problems inside a file name that file. One context per
// file is added to `sources`, which must outlive `out`.
void load_subdevices_dir(const std::filesystem::path& dir, int key_line, SourceContext& main_src,
                         std::vector<ConfigError>& errors, std::deque<SourceContext>& sources,
                         std::vector<SubdeviceEntry>& out);

}  // namespace otagw::config::detail
