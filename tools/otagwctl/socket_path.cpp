#include "tools/otagwctl/socket_path.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace otagw::ctl {
namespace {

std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

tl::expected<std::string, std::string> read_file(const std::filesystem::path& file) {
  std::error_code ignored;
  if (std::filesystem::is_directory(file, ignored)) {
    return tl::unexpected("cannot read " + quoted(file) + ": it is a directory; --config names otagwd's YAML file");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    const int error = errno;
    std::string message = "cannot read " + quoted(file) + ": " + std::strerror(error);
    if (error == EACCES) {
      message += " (the config holds the service's secrets; without --config otagwctl uses " +
                 std::string(kDefaultSocket) + ", or name the socket with --socket PATH)";
    }
    return tl::unexpected(message);
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return tl::unexpected("cannot read " + quoted(file) + ": " + std::strerror(errno));
  return text.str();
}

std::string at(const std::filesystem::path& file, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return file.string();
  return file.string() + ":" + std::to_string(mark.line + 1);
}

}  // namespace

tl::expected<std::filesystem::path, std::string> socket_from_config(const std::filesystem::path& config_file) {
  auto text = read_file(config_file);
  if (!text) return tl::unexpected(text.error());
  YAML::Node top;
  try {
    top = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return tl::unexpected(quoted(config_file) + " is not valid YAML (line " + std::to_string(e.mark.line + 1) +
                          "): " + e.msg + "; otagwd --check-config --config " + config_file.string() +
                          " shows every error");
  }
  if (!top || top.IsNull()) return std::filesystem::path(kDefaultSocket);
  if (!top.IsMap()) return tl::unexpected(quoted(config_file) + " is not a YAML map: not an otagwd config");
  const YAML::Node control = top["control"];
  if (!control || control.IsNull()) return std::filesystem::path(kDefaultSocket);
  if (!control.IsMap()) return tl::unexpected(at(config_file, control) + ": control: expected a map");
  const YAML::Node socket = control["socket"];
  if (!socket || socket.IsNull()) return std::filesystem::path(kDefaultSocket);
  if (!socket.IsScalar()) return tl::unexpected(at(config_file, socket) + ": control.socket: expected a path");
  const std::filesystem::path value = socket.Scalar();
  if (value.empty()) {
    return tl::unexpected(at(config_file, socket) +
                          ": control.socket is empty: otagwd's control socket is off (set a path there and "
                          "restart otagwd)");
  }
  if (value.is_absolute()) return value.lexically_normal();
  std::error_code ignored;
  std::filesystem::path directory = std::filesystem::absolute(config_file, ignored).parent_path();
  return (directory / value).lexically_normal();
}

}  // namespace otagw::ctl
