#include "tests/plugins/plugin_fixture.hpp"

#include <fstream>
#include <functional>
#include <random>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "tests/support/run_with_timeout.hpp"
#include "tests/support/wait_until.hpp"

namespace otagw::plugin_tests {
namespace {

constexpr auto kRunLimit = std::chrono::seconds(60);

config::PluginConfig make_plugin(config::PluginConfig::Kind kind, const std::filesystem::path& path, int timeout_s,
                                 int version_timeout_s) {
  config::PluginConfig plugin;
  plugin.name = path.stem().string();
  plugin.kind = kind;
  plugin.path = path;
  plugin.timeout_s = timeout_s;
  plugin.version_timeout_s = version_timeout_s;
  return plugin;
}

// Coroutines take everything by value or by pointer (g++ 12, see style.md).
asio::awaitable<void> flash_into(subdev::PluginRunner* runner, subdev::PluginJob job, FlashRun* run) {
  std::vector<int>* progress = &run->progress;
  std::function<void(int)> on_progress = [progress](int value) { progress->push_back(value); };
  const auto start = std::chrono::steady_clock::now();
  run->outcome = co_await runner->flash(std::move(job), on_progress);
  run->took = std::chrono::steady_clock::now() - start;
}

asio::awaitable<void> version_into(subdev::PluginRunner* runner, subdev::PluginJob job,
                                   std::optional<std::string>* answer) {
  *answer = co_await runner->version(std::move(job));
}

}  // namespace

std::filesystem::path script(const std::string& name) { return std::filesystem::path(OTAGW_TEST_SCRIPTS) / name; }

config::PluginConfig exec_plugin(const std::filesystem::path& path, int timeout_s, int version_timeout_s) {
  return make_plugin(config::PluginConfig::Kind::exec, path, timeout_s, version_timeout_s);
}

config::PluginConfig library_plugin(const std::filesystem::path& path, int timeout_s, int version_timeout_s) {
  return make_plugin(config::PluginConfig::Kind::library, path, timeout_s, version_timeout_s);
}

PluginFixture::PluginFixture() {
  job.product_key = "a1PK";
  job.device_name = "sensor-1";
  job.module = "mcu";
  job.target_version = "2.0.0";
  job.current_version = "1.0.0";
  job.params = {{"target_dir", (dir() / "device").string()}, {"baud", 115200}};
  job.ext_data = R"({"key":"value"})";
  job.is_diff = true;
  job.work_dir = dir() / "work";
  std::filesystem::create_directories(job.work_dir);

  // Not a multiple of the host's 64 KiB chunk, so the last write is short.
  std::mt19937 random(42);
  std::string bytes(200'000, '\0');
  for (char& c : bytes) c = static_cast<char>(random());
  job.image = dir() / "image.bin";
  write_file(job.image, bytes);
}

std::string PluginFixture::image_bytes() const { return read_file(job.image); }

FlashRun PluginFixture::flash(const config::PluginConfig& plugin, const subdev::PluginJob& with_job) {
  subdev::PluginRunner runner(io.get_executor(), plugin, OTAGW_PLUGIN_HOST);
  FlashRun run;
  test_support::run_with_timeout(io, flash_into(&runner, with_job, &run), kRunLimit);
  return run;
}

std::optional<std::string> PluginFixture::version(const config::PluginConfig& plugin,
                                                  const subdev::PluginJob& with_job) {
  subdev::PluginRunner runner(io.get_executor(), plugin, OTAGW_PLUGIN_HOST);
  std::optional<std::string> answer;
  test_support::run_with_timeout(io, version_into(&runner, with_job, &answer), kRunLimit);
  return answer;
}

LogCapture::LogCapture() : previous_(spdlog::default_logger()) {
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(stream_);
  auto logger = std::make_shared<spdlog::logger>("capture", std::move(sink));
  logger->set_level(spdlog::level::debug);
  spdlog::set_default_logger(std::move(logger));
}

LogCapture::~LogCapture() { spdlog::set_default_logger(previous_); }

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::map<std::string, std::string> read_env_dump(const std::filesystem::path& path) {
  std::map<std::string, std::string> values;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) {
    if (line.ends_with(" unset")) {
      values[line.substr(0, line.size() - 6)] = "<unset>";
    } else if (const auto eq = line.find('='); eq != std::string::npos) {
      values[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
  return values;
}

bool process_gone(pid_t pid, std::chrono::milliseconds within) {
  const auto stat = std::filesystem::path("/proc") / std::to_string(pid) / "stat";
  return test_support::wait_until(
      [&stat] {
        const std::string text = read_file(stat);
        if (text.empty()) return true;
        // "pid (comm) S ...": the state follows the last ')'.
        const auto paren = text.rfind(')');
        return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] == 'Z';
      },
      within, std::chrono::milliseconds(50));
}

}  // namespace otagw::plugin_tests
