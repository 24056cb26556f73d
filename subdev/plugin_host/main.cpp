// otagw-plugin-host: runs one call sequence of a library plugin in its own
// process, so that a crash or hang in vendor code costs one failed flash and
// never the daemon (docs/plugins.md, "Library plugins").
//
//   otagw-plugin-host --library PATH flash     stream $OTAGW_IMAGE through start/write/stop
//   otagw-plugin-host --library PATH version   print the device's version
//
// Same environment, stdout and exit-code contract as an exec plugin. Exit
// codes: 0 done, 1 the plugin reported failure (or cannot tell the version),
// 2 the host could not run the plugin (usage, environment, image, dlopen,
// missing symbol), 3 the plugin was built for another ABI version.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "otagw_plugin.h"

namespace {

constexpr int kDone = 0;
constexpr int kFailed = 1;
constexpr int kCannotRun = 2;
constexpr int kAbiMismatch = 3;
constexpr std::size_t kChunk = 64 * 1024;

// The daemon's stdout pipe, for protocol lines only. fd 1 itself is pointed
// at stderr before the plugin is loaded, so a plugin's printf() is logged
// instead of being taken for a progress line or the version.
int protocol_fd = 1;

void say(const std::string& line) {
  std::string text = line + "\n";
  const char* data = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(protocol_fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the daemon stopped listening; the exit code still counts
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

// A line for the daemon's log (stderr lines are logged at info level).
void complain(const std::string& message) { std::fprintf(stderr, "otagw-plugin-host: %s\n", message.c_str()); }

const char* env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

otagw_plugin_device device_from_environment() {
  otagw_plugin_device dev{};
  dev.product_key = env_or("OTAGW_PRODUCT_KEY", "");
  dev.device_name = env_or("OTAGW_DEVICE_NAME", "");
  dev.module = env_or("OTAGW_MODULE", "");
  dev.params_json = env_or("OTAGW_PARAMS", "{}");
  dev.ext_data_json = env_or("OTAGW_EXT_DATA", "{}");
  dev.is_diff = std::strcmp(env_or("OTAGW_IS_DIFF", "0"), "1") == 0 ? 1 : 0;
  return dev;
}

bool redirect_stdout_to_stderr() {
  protocol_fd = ::fcntl(1, F_DUPFD_CLOEXEC, 3);
  return protocol_fd >= 0 && ::dup2(2, 1) == 1;
}

const otagw_plugin_v1* load(const char* path, int& exit_code) {
  // RTLD_NOW: an unresolved symbol fails here, not mid-flash.
  void* handle = ::dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    complain(std::string("cannot load plugin: ") + ::dlerror());
    exit_code = kCannotRun;
    return nullptr;
  }
  void* symbol = ::dlsym(handle, OTAGW_PLUGIN_ENTRY_SYMBOL);
  if (symbol == nullptr) {
    complain(std::string(path) + " does not export " OTAGW_PLUGIN_ENTRY_SYMBOL "()");
    exit_code = kCannotRun;
    return nullptr;
  }
  // POSIX guarantees that a dlsym() result converts to a function pointer.
  auto entry = reinterpret_cast<otagw_plugin_entry_fn>(symbol);
  const otagw_plugin_v1* plugin = entry();
  if (plugin == nullptr) {
    complain(std::string(path) + ": " OTAGW_PLUGIN_ENTRY_SYMBOL "() returned NULL");
    exit_code = kCannotRun;
    return nullptr;
  }
  if (plugin->abi_version != OTAGW_PLUGIN_ABI_VERSION) {
    std::fprintf(stderr, "otagw-plugin-host: %s implements plugin ABI version %u; this host implements version %d\n",
                 path, plugin->abi_version, OTAGW_PLUGIN_ABI_VERSION);
    exit_code = kAbiMismatch;
    return nullptr;
  }
  return plugin;
}

int percent(std::uint64_t done, std::uint64_t total) {
  if (total == 0) return 99;
  return static_cast<int>(done * 99 / total);  // 100 only once stop() accepted the image
}

int flash(const otagw_plugin_v1& plugin, const otagw_plugin_device& dev) {
  if (plugin.start == nullptr || plugin.write == nullptr || plugin.stop == nullptr) {
    complain(std::string("plugin ") + (plugin.name != nullptr ? plugin.name : "?") + " lacks start, write or stop");
    return kCannotRun;
  }
  const char* image = std::getenv("OTAGW_IMAGE");
  if (image == nullptr) {
    complain(std::getenv("OTAGW_IMAGE_DIR") != nullptr ? "library plugins take single-file images only"
                                                        : "OTAGW_IMAGE is not set");
    return kCannotRun;
  }
  const int fd = ::open(image, O_RDONLY | O_CLOEXEC);
  struct stat info {};
  if (fd < 0 || ::fstat(fd, &info) != 0) {
    complain(std::string("cannot read ") + image + ": " + std::strerror(errno));
    return kCannotRun;
  }
  const auto size = static_cast<std::uint64_t>(info.st_size);

  void* ctx = plugin.start(&dev, env_or("OTAGW_TARGET_VERSION", ""), size);
  if (ctx == nullptr) {
    complain("start failed");
    return kFailed;
  }
  say("progress 0");
  int reported = 0;
  std::vector<char> chunk(kChunk);
  std::uint64_t offset = 0;
  while (offset < size) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      complain(std::string("reading ") + image + ": " + (n < 0 ? std::strerror(errno) : "the file shrank"));
      plugin.stop(ctx, 0);
      return kFailed;
    }
    if (plugin.write(ctx, chunk.data(), static_cast<std::size_t>(n), offset) != 0) {
      std::fprintf(stderr, "otagw-plugin-host: write of %zd bytes at offset %llu failed\n", n,
                   static_cast<unsigned long long>(offset));
      plugin.stop(ctx, 0);
      return kFailed;
    }
    offset += static_cast<std::uint64_t>(n);
    if (const int now = percent(offset, size); now != reported) {
      reported = now;
      say("progress " + std::to_string(now));
    }
  }
  if (plugin.stop(ctx, 1) != 0) {
    complain("stop failed: the plugin did not accept the image");
    return kFailed;
  }
  say("progress 100");
  return kDone;
}

int version(const otagw_plugin_v1& plugin, const otagw_plugin_device& dev) {
  if (plugin.version == nullptr) return kFailed;  // cannot tell, by design
  char out[64] = {};
  if (plugin.version(&dev, out, sizeof out) != 0) return kFailed;
  if (std::memchr(out, '\0', sizeof out) == nullptr) {
    complain("version() did not NUL-terminate its answer");
    return kFailed;
  }
  say(out);
  return kDone;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 || std::strcmp(argv[1], "--library") != 0 ||
      (std::strcmp(argv[3], "flash") != 0 && std::strcmp(argv[3], "version") != 0)) {
    std::fprintf(stderr, "usage: otagw-plugin-host --library PATH flash|version\n");
    return kCannotRun;
  }
  if (!redirect_stdout_to_stderr()) {
    complain(std::string("cannot set up stdout: ") + std::strerror(errno));
    return kCannotRun;
  }
  int exit_code = kDone;
  const otagw_plugin_v1* plugin = load(argv[2], exit_code);
  if (plugin == nullptr) return exit_code;
  const otagw_plugin_device dev = device_from_environment();
  const int result = std::strcmp(argv[3], "flash") == 0 ? flash(*plugin, dev) : version(*plugin, dev);
  // The plugin's own buffered stdout (now stderr) is flushed by exit().
  return result;
}
