#include "config/load.hpp"

namespace otagw::config {

std::string ConfigError::to_string(const std::filesystem::path& main_file) const {
  std::string text;
  if (!file.empty() && file != main_file) text += file.string() + ": ";
  if (!key_path.empty()) text += key_path + ": ";
  text += message;
  if (line > 0) text += " (line " + std::to_string(line) + ")";
  return text;
}

}  // namespace otagw::config
