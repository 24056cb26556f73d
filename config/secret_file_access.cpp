#include "config/secret_file_access.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

#include "config/message_text.hpp"

namespace otagw::config::detail {
namespace {

std::optional<uid_t> service_uid() {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwnam_r(kServiceAccount, &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return found->pw_uid;
}

std::optional<gid_t> service_gid() {
  std::vector<char> buffer(16384);
  group entry{};
  group* found = nullptr;
  if (::getgrnam_r(kServiceAccount, &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return found->gr_gid;
}

std::string group_name(gid_t gid) {
  std::vector<char> buffer(16384);
  group entry{};
  group* found = nullptr;
  if (::getgrgid_r(gid, &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return std::to_string(gid);
  }
  return found->gr_name;
}

std::string user_name(uid_t uid) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return "uid " + std::to_string(uid);
  }
  return std::string(found->pw_name) + " (uid " + std::to_string(uid) + ")";
}

std::string mode_text(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// The group a fixed file should have: the service account's when it exists
// (the packaged layout, root:otagw 0640), else the process's own.
std::string fix_for(const std::filesystem::path& path) {
  const auto service = service_gid();
  const gid_t gid = service ? *service : ::getegid();
  const std::string quoted = quote_value(path.string());
  if (gid == 0) return "fix: chown root:root " + quoted + "; chmod 600 " + quoted;
  return "fix: chown root:" + group_name(gid) + " " + quoted + "; chmod 640 " + quoted;
}

}  // namespace

std::string secret_file_exposure(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::strerror(errno);
  const auto service_user = service_uid();
  const auto service_group = service_gid();

  std::string problem;
  if (info.st_uid != 0 && info.st_uid != ::geteuid() && (!service_user || info.st_uid != *service_user)) {
    problem = "it is owned by " + user_name(info.st_uid) + ", neither root nor the service's user";
  } else if ((info.st_mode & (S_IROTH | S_IWOTH)) != 0) {
    problem = "others can read or change it (mode " + mode_text(info.st_mode) + ")";
  } else if ((info.st_mode & (S_IRGRP | S_IWGRP)) != 0 && info.st_gid != ::getegid() &&
             (!service_group || info.st_gid != *service_group)) {
    problem = "group " + group_name(info.st_gid) + " can read it (mode " + mode_text(info.st_mode) +
              "), not the service's group";
  }
  if (problem.empty()) return {};
  return problem + "; " + fix_for(path);
}

}  // namespace otagw::config::detail
