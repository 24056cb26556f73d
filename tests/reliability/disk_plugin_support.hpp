#pragma once
// Helpers of the disk and plugin fault tests (disk_faults_test.cpp,
// plugin_faults_test.cpp): a state_dir on a small tmpfs of its own (a real
// full or read-only file system, as root or not), otagwd started inside its
// mount namespace, and looks at /proc for processes a plugin left behind.
#include <fcntl.h>
#include <signal.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/subdev/cloud_fixture.hpp"
#include "tests/support/child_process.hpp"

namespace otagw::reliability {

inline const std::string kReliabilityPlugins = std::string(OTAGW_SOURCE_DIR) + "/tests/reliability/plugins/";

// A tmpfs mounted on `mount_dir` in a user+mount namespace of its own, kept
// alive by a holder process (`unshare -rm ... sleep`), so that otagwd can be
// started, killed and started again on the same file system, and the test can
// fill it or remount it read-only between two steps of a job. Nothing is
// mounted outside the namespace; the test sees the tmpfs through
// /proc/<holder>/root. available() is false where this machine can make no
// such namespace (no unshare/nsenter, no user namespaces).
class TmpfsState {
 public:
  TmpfsState(const std::filesystem::path& mount_dir, const std::string& size) : mount_dir_(mount_dir) {
    if (!std::filesystem::exists(kUnshare) || !std::filesystem::exists(kNsenter)) {
      why_not_ = "no " + std::string(kUnshare) + " or " + kNsenter;
      return;
    }
    std::filesystem::create_directories(mount_dir);
    // huge=never: blocks of the page size, which the tests count.
    const std::string script =
        "mount -t tmpfs -o size=" + size + ",huge=never tmpfs \"$0\" || exit 99\necho mounted\nexec sleep 3600";
    holder_ = std::make_unique<test_support::ChildProcess>(
        std::vector<std::string>{kUnshare, "-rm", "/bin/sh", "-c", script, mount_dir.string()},
        mount_dir.parent_path());
    if (!holder_->wait_for_stdout("mounted", std::chrono::seconds(10))) {
      why_not_ = holder_->stderr_text();
      holder_.reset();
    }
  }
  ~TmpfsState() {
    if (holder_) holder_->signal(SIGKILL);
  }
  TmpfsState(const TmpfsState&) = delete;
  TmpfsState& operator=(const TmpfsState&) = delete;

  [[nodiscard]] bool available() const { return holder_ != nullptr; }
  [[nodiscard]] const std::string& why_not() const { return why_not_; }

  // `path` (absolute, under the mount) as this process reaches it.
  [[nodiscard]] std::filesystem::path seen(const std::filesystem::path& path) const {
    return std::filesystem::path("/proc/" + std::to_string(holder_->pid()) + "/root") / path.relative_path();
  }

  // The command's argv run inside the namespace (uid 0 there), in `work_dir`.
  [[nodiscard]] std::vector<std::string> inside(std::vector<std::string> command,
                                                const std::filesystem::path& work_dir) const {
    std::vector<std::string> argv{kNsenter, "-t", std::to_string(holder_->pid()), "-U", "-m",
                                  "--preserve-credentials", "--wd=" + work_dir.string(), "--"};
    argv.insert(argv.end(), command.begin(), command.end());
    return argv;
  }

  // Runs a shell line inside the namespace; returns its exit status.
  int shell(const std::string& line) const {
    test_support::ChildProcess child(inside({"/bin/sh", "-c", line}, "/"), mount_dir_.parent_path());
    const auto status = child.wait(std::chrono::seconds(20));
    last_output_ = child.stdout_text() + child.stderr_text();
    return status.value_or(-1);
  }
  [[nodiscard]] const std::string& last_output() const { return last_output_; }

  // Read-only from now on for every path looked up under the mount: a
  // read-only bind mount over it (a plain `remount,ro` is refused while
  // otagwd holds its lock file open for writing). 0 when done.
  int make_read_only() const {
    const std::string dir = "\"" + mount_dir_.string() + "\"";
    return shell("mount --bind " + dir + " " + dir + " && mount -o remount,bind,ro " + dir);
  }
  // Writable again: the read-only bind mount goes (detached at once: a
  // plugin may still work in a directory under it).
  int make_writable() const { return shell("umount -l \"" + mount_dir_.string() + "\""); }
  // A new size for the tmpfs ("2m").
  int resize(const std::string& size) const {
    // (-t and the source spelled out: without them mount(8) fails to
    // remount in a user namespace of a user other than root.)
    return shell("mount -t tmpfs -o remount,size=" + size + " tmpfs \"" + mount_dir_.string() + "\"");
  }

  // Full from now on: a file (written from this process, through the
  // holder's view of the mount) takes every free block. 0 when done.
  int fill() const { return fill_leaving(0); }
  // Full but for `left` bytes (a multiple of block_size()).
  int fill_leaving(std::uint64_t left) const {
    const std::uint64_t free = free_bytes();
    if (free < left) return -1;
    const int fd = ::open(seen(mount_dir_ / kFill).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return errno;
    const int rc = free == left ? 0 : ::posix_fallocate(fd, 0, static_cast<off_t>(free - left));
    ::close(fd);
    return rc;
  }
  // The space back.
  void unfill() const {
    std::error_code ignored;
    std::filesystem::remove(seen(mount_dir_ / kFill), ignored);
  }

  // Free bytes of the tmpfs.
  [[nodiscard]] std::uint64_t free_bytes() const {
    struct statvfs fs {};
    if (::statvfs(seen(mount_dir_).c_str(), &fs) != 0) return 0;
    return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  }
  [[nodiscard]] std::uint64_t block_size() const {
    struct statvfs fs {};
    if (::statvfs(seen(mount_dir_).c_str(), &fs) != 0) return 4096;
    return fs.f_frsize;
  }

 private:
  static constexpr const char* kUnshare = "/usr/bin/unshare";
  static constexpr const char* kNsenter = "/usr/bin/nsenter";
  static constexpr const char* kFill = "fill";
  std::filesystem::path mount_dir_;
  std::unique_ptr<test_support::ChildProcess> holder_;
  std::string why_not_;
  mutable std::string last_output_;
};

// otagwd with the fixture's config, started inside the tmpfs's namespace.
inline std::unique_ptr<test_support::ChildProcess> start_otagwd_inside(const TmpfsState& tmpfs,
                                                                         const sweep_test::CloudFixture& cloud,
                                                                         bool once = true) {
  std::vector<std::string> command{OTAGWD_PATH, "--config", (cloud.dir() / "gateway.yaml").string()};
  if (once) command.emplace_back("--once");
  return std::make_unique<test_support::ChildProcess>(
      tmpfs.inside(std::move(command), cloud.dir()), cloud.dir(),
      std::vector<std::string>{std::string("OTAGW_PLUGIN_HOST=") + OTAGW_PLUGIN_HOST_PATH});
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Processes (other than this one) whose working directory is under `root` or
// whose command line mentions it: what a plugin started for a test and left
// running. Each as "pid: cmdline".
inline std::vector<std::string> processes_under(const std::filesystem::path& root) {
  std::vector<std::string> found;
  const std::string needle = root.string();
  const std::string self = std::to_string(::getpid());
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string pid = entry.path().filename().string();
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos || pid == self) continue;
    std::error_code ignored;
    const auto cwd = std::filesystem::read_symlink(entry.path() / "cwd", ignored).string();
    std::string cmdline = read_text(entry.path() / "cmdline");
    for (char& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    // A zombie has neither: it is gone but for its parent's wait.
    if (cwd.starts_with(needle) || cmdline.find(needle) != std::string::npos) found.push_back(pid + ": " + cmdline);
  }
  return found;
}

// A field of /proc/<pid>/status in kB ("VmHWM", "VmRSS"), or 0.
inline std::uint64_t status_kb(pid_t pid, const std::string& field) {
  std::istringstream status(read_text("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with(field + ":")) return std::stoull(line.substr(field.size() + 1));
  }
  return 0;
}

}  // namespace otagw::reliability
