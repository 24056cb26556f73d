// PluginRunner::version with exec plugins, and stop().
#include <catch2/catch.hpp>

#include "tests/plugins/plugin_fixture.hpp"
#include "tests/support/run_with_timeout.hpp"

using namespace otagw;
using namespace otagw::plugin_tests;
using namespace std::chrono_literals;

TEST_CASE("version: the first stdout line, trimmed, with the environment minus the image", "[integration]") {
  PluginFixture f;
  const auto answer = f.version(exec_plugin(script("dump_env.sh")));
  CHECK(answer == "1.2.3");
  auto env = read_env_dump(f.job.work_dir / "env-version.txt");
  CHECK(env["args"] == "version");
  CHECK(env["OTAGW_IMAGE"] == "<unset>");
  CHECK(env["OTAGW_IMAGE_DIR"] == "<unset>");
  CHECK(env["OTAGW_PRODUCT_KEY"] == "a1PK");
  CHECK(env["OTAGW_DEVICE_NAME"] == "sensor-1");
  CHECK(env["OTAGW_MODULE"] == "mcu");
  CHECK(env["OTAGW_CURRENT_VERSION"] == "1.0.0");
  CHECK(nlohmann::json::parse(env["OTAGW_PARAMS"]) == f.job.params);
}

TEST_CASE("version: a bad answer means 'cannot tell'", "[integration]") {
  PluginFixture f;
  SECTION("longer than 32 characters") { CHECK_FALSE(f.version(exec_plugin(script("version_long.sh")))); }
  SECTION("an empty first line") { CHECK_FALSE(f.version(exec_plugin(script("version_empty.sh")))); }
  SECTION("a non-zero exit") { CHECK_FALSE(f.version(exec_plugin(script("version_fails.sh")))); }
  SECTION("no output") { CHECK_FALSE(f.version(exec_plugin(script("version_silent.sh")))); }
  SECTION("no such plugin") { CHECK_FALSE(f.version(exec_plugin(f.dir() / "missing"))); }
}

TEST_CASE("version: a slow plugin is killed at version_timeout_s and cannot tell", "[integration]") {
  PluginFixture f;
  const auto start = std::chrono::steady_clock::now();
  const auto answer = f.version(exec_plugin(script("version_slow.sh"), 20, 1));
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK_FALSE(answer);
  CHECK(took >= 1s);
  CHECK(took < 4s);  // SIGTERM reached the sleeping grandchild too
}

namespace {

struct StopResults {
  subdev::FlashOutcome first;
  subdev::FlashOutcome refused;
  std::optional<std::string> version;
  int running_during = -1;
};

asio::awaitable<void> stop_while_flashing(subdev::PluginRunner* runner, subdev::PluginJob job, StopResults* out) {
  auto executor = co_await asio::this_coro::executor;
  // The first flash runs beside this coroutine; stop() comes while it runs.
  bool first_done = false;
  auto record = [out, &first_done](std::exception_ptr, subdev::FlashOutcome outcome) {
    out->first = std::move(outcome);
    first_done = true;
  };
  std::function<void(int)> no_progress;
  asio::co_spawn(executor, runner->flash(job, no_progress), record);
  co_await test_support::sleep_for(300ms);
  out->running_during = runner->running();
  runner->stop();
  out->refused = co_await runner->flash(job, no_progress);
  out->version = co_await runner->version(job);
  while (!first_done) co_await test_support::sleep_for(50ms);
}

}  // namespace

TEST_CASE("stop() lets a running flash finish and refuses new work", "[integration]") {
  PluginFixture f;
  // progress.sh with a pause, so the flash is still running at stop().
  const auto slow = f.dir() / "slow.sh";
  write_file(slow, "#!/bin/sh\nsleep 1\necho 'progress 100'\n");
  std::filesystem::permissions(slow, std::filesystem::perms::owner_all);
  subdev::PluginRunner runner(f.io.get_executor(), exec_plugin(slow), OTAGW_PLUGIN_HOST);
  StopResults results;
  test_support::run_with_timeout(f.io, stop_while_flashing(&runner, f.job, &results));
  CHECK(results.running_during == 1);
  CHECK(runner.stopping());
  CHECK(results.first.flashed);
  CHECK(results.first.last_progress == 100);
  CHECK_FALSE(results.refused.flashed);
  CHECK(results.refused.detail == "stopping");
  CHECK_FALSE(results.version);
  CHECK(runner.running() == 0);
}
