// PluginRunner::flash with exec plugins: real processes (tests/plugins/scripts).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/plugins/plugin_fixture.hpp"

using namespace otagw;
using namespace otagw::plugin_tests;
using namespace std::chrono_literals;

TEST_CASE("an exec plugin gets the documented environment, argument, directory and stdin", "[integration]") {
  PluginFixture f;
  // A descriptor without O_CLOEXEC must not reach the plugin, nor must an
  // OTAGW_* variable of the daemon's own environment.
  const int leaked = ::dup2(::open("/dev/null", O_RDONLY), 100);
  REQUIRE(leaked == 100);
  ::setenv("OTAGW_IMAGE_DIR", "/stale", 1);

  const auto run = f.flash(exec_plugin(script("dump_env.sh")));
  ::unsetenv("OTAGW_IMAGE_DIR");
  ::close(leaked);

  CHECK(run.outcome.flashed);
  CHECK(run.outcome.detail == "exit 0");
  auto env = read_env_dump(f.job.work_dir / "env-flash.txt");
  CHECK(env["argc"] == "1");
  CHECK(env["args"] == "flash");
  CHECK(env["cwd"] == std::filesystem::canonical(f.job.work_dir).string());
  CHECK(env["stdin"] == "/dev/null");
  CHECK(env["pgid"] == env["pid"]);
  CHECK(env["fds"].find(" 100 ") == std::string::npos);
  CHECK(env["OTAGW_IMAGE"] == f.job.image.string());
  CHECK(env["OTAGW_IMAGE_DIR"] == "<unset>");
  CHECK(env["OTAGW_PRODUCT_KEY"] == "a1PK");
  CHECK(env["OTAGW_DEVICE_NAME"] == "sensor-1");
  CHECK(env["OTAGW_TARGET_VERSION"] == "2.0.0");
  CHECK(env["OTAGW_CURRENT_VERSION"] == "1.0.0");
  CHECK(env["OTAGW_MODULE"] == "mcu");
  CHECK(nlohmann::json::parse(env["OTAGW_PARAMS"]) == f.job.params);
  CHECK(nlohmann::json::parse(env["OTAGW_EXT_DATA"]) == nlohmann::json::parse(f.job.ext_data));
  CHECK(env["OTAGW_IS_DIFF"] == "1");
  CHECK(env["otagw_vars"] == "9");
}

TEST_CASE("a multi-file package comes as OTAGW_IMAGE_DIR, a default module and no extData as empty values",
          "[integration]") {
  PluginFixture f;
  auto job = f.job;
  job.image.clear();
  job.image_dir = f.dir() / "package";
  job.module.clear();
  job.ext_data.clear();
  job.is_diff = false;

  const auto run = f.flash(exec_plugin(script("dump_env.sh")), job);

  CHECK(run.outcome.flashed);
  auto env = read_env_dump(f.job.work_dir / "env-flash.txt");
  CHECK(env["OTAGW_IMAGE"] == "<unset>");
  CHECK(env["OTAGW_IMAGE_DIR"] == job.image_dir.string());
  CHECK(env["OTAGW_MODULE"].empty());
  CHECK(env["OTAGW_EXT_DATA"] == "{}");
  CHECK(env["OTAGW_IS_DIFF"] == "0");
}

TEST_CASE("a plugin exiting 3 fails the flash with 'exit 3'", "[integration]") {
  PluginFixture f;
  LogCapture log;
  const auto run = f.flash(exec_plugin(script("exit3.sh")));
  CHECK_FALSE(run.outcome.flashed);
  CHECK(run.outcome.detail == "exit 3");
  // stderr reaches the log at info level, prefixed with the device and plugin.
  CHECK(log.text().find("[info] a1PK/sensor-1: plugin exit3: giving up") != std::string::npos);
}

TEST_CASE("a plugin killed by SIGSEGV fails the flash", "[integration]") {
  PluginFixture f;
  const auto run = f.flash(exec_plugin(script("segv.sh")));
  CHECK_FALSE(run.outcome.flashed);
  CHECK(run.outcome.detail == "killed by signal 11");
}

TEST_CASE("a plugin that hangs and ignores SIGTERM is killed with its whole group after timeout_s",
          "[integration]") {
  PluginFixture f;
  const auto run = f.flash(exec_plugin(script("hang.sh"), 1));
  CHECK_FALSE(run.outcome.flashed);
  CHECK(run.outcome.detail == "timed out after 1 s");
  CHECK(run.outcome.last_progress == 5);
  // SIGTERM at 1 s is ignored; SIGKILL follows after the 5 s grace.
  CHECK(run.took >= 6s);
  CHECK(run.took < 10s);
  const auto grandchild = read_file(f.job.work_dir / "grandchild.pid");
  REQUIRE_FALSE(grandchild.empty());
  CHECK(process_gone(std::stoi(grandchild)));
}

TEST_CASE("processes a successful plugin leaves behind are killed and do not hold up the flash",
          "[integration]") {
  PluginFixture f;
  const auto run = f.flash(exec_plugin(script("leave_grandchild.sh")));
  CHECK(run.outcome.flashed);
  CHECK(run.took < 2s);  // not waiting for the grandchild's end of stdout
  const auto grandchild = read_file(f.job.work_dir / "grandchild.pid");
  REQUIRE_FALSE(grandchild.empty());
  CHECK(process_gone(std::stoi(grandchild)));
}

TEST_CASE("a process that left the group with stdout open holds up the flash only for the drain time",
          "[integration]") {
  PluginFixture f;
  const auto run = f.flash(exec_plugin(script("escape_group.sh")));
  const auto escaped = read_file(f.job.work_dir / "escaped.pid");
  REQUIRE_FALSE(escaped.empty());
  ::kill(std::stoi(escaped), SIGKILL);  // out of the runner's reach by design
  CHECK(run.outcome.flashed);
  CHECK(run.took >= 2s);
  CHECK(run.took < 4s);
}

TEST_CASE("progress lines reach the callback, repeated and malformed ones do not", "[integration]") {
  PluginFixture f;
  const auto run = f.flash(exec_plugin(script("progress.sh")));
  CHECK(run.outcome.flashed);
  CHECK(run.progress == std::vector<int>{0, 10, 50, 100});
  CHECK(run.outcome.last_progress == 100);
}

TEST_CASE("15 MB of stderr neither stalls the plugin nor floods the log", "[integration]") {
  PluginFixture f;
  LogCapture log;
  const auto run = f.flash(exec_plugin(script("chatty.sh")));
  CHECK(run.outcome.flashed);
  CHECK(run.outcome.last_progress == 100);
  const auto text = log.text();
  CHECK(text.size() < 600 * 1024);
  CHECK(text.find("[line cut]") != std::string::npos);
  CHECK(text.find("a1PK/sensor-1: plugin chatty: further stderr output not logged") != std::string::npos);
}

TEST_CASE("a plugin that does not exist fails the flash with 'cannot start'", "[integration]") {
  PluginFixture f;
  const auto run = f.flash(exec_plugin(f.dir() / "no-such-plugin"));
  CHECK_FALSE(run.outcome.flashed);
  CHECK(run.outcome.detail.starts_with("cannot start " + (f.dir() / "no-such-plugin").string()));
  CHECK(run.outcome.detail.find("No such file or directory") != std::string::npos);
}

TEST_CASE("a job directory that is gone fails the flash naming it, and nothing runs", "[integration]") {
  PluginFixture f;
  auto job = f.job;
  job.work_dir = f.dir() / "no-such-job";
  const auto run = f.flash(exec_plugin(script("dump_env.sh")), job);
  CHECK_FALSE(run.outcome.flashed);
  CHECK(run.outcome.detail.find(" in " + job.work_dir.string()) != std::string::npos);
  CHECK(run.outcome.detail.find("No such file or directory") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(f.dir() / "env-flash.txt"));
}

TEST_CASE("a flash without an image fails without running the plugin", "[integration]") {
  PluginFixture f;
  auto job = f.job;
  job.image.clear();
  const auto run = f.flash(exec_plugin(script("dump_env.sh")), job);
  CHECK_FALSE(run.outcome.flashed);
  CHECK(run.outcome.detail == "no image");
  CHECK_FALSE(std::filesystem::exists(f.job.work_dir / "env-flash.txt"));
}
