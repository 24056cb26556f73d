// The file-copy sample exec plugin, end to end through PluginRunner.
#include <catch2/catch.hpp>

#include "tests/plugins/plugin_fixture.hpp"

using namespace otagw;
using namespace otagw::plugin_tests;

TEST_CASE("file-copy flashes a single image and then reports the target version", "[integration]") {
  PluginFixture f;
  const auto plugin = exec_plugin(OTAGW_FILE_COPY_PLUGIN);
  const auto target = f.dir() / "device";

  CHECK_FALSE(f.version(plugin));  // never flashed

  const auto run = f.flash(plugin);
  CHECK(run.outcome.flashed);
  CHECK(run.progress == std::vector<int>{0, 90, 100});
  CHECK(read_file(target / "image.bin") == f.image_bytes());
  CHECK(f.version(plugin) == "2.0.0");

  // A second flash replaces both.
  auto job = f.job;
  job.target_version = "2.1.0";
  write_file(job.image, "new image");
  CHECK(f.flash(plugin, job).outcome.flashed);
  CHECK(read_file(target / "image.bin") == "new image");
  CHECK(f.version(plugin) == "2.1.0");
}

TEST_CASE("file-copy copies a multi-file package directory", "[integration]") {
  PluginFixture f;
  auto job = f.job;
  job.image.clear();
  job.image_dir = f.dir() / "package";
  std::filesystem::create_directories(job.image_dir);
  write_file(job.image_dir / "manifest.json", R"({"files":["a.bin"]})");
  write_file(job.image_dir / "a.bin", "part a");

  const auto run = f.flash(exec_plugin(OTAGW_FILE_COPY_PLUGIN), job);
  CHECK(run.outcome.flashed);
  CHECK(read_file(f.dir() / "device" / "image" / "a.bin") == "part a");
  CHECK(read_file(f.dir() / "device" / "image" / "manifest.json") == R"({"files":["a.bin"]})");
  CHECK(read_file(f.dir() / "device" / "VERSION") == "2.0.0\n");
}

TEST_CASE("file-copy without params.target_dir fails and writes nothing", "[integration]") {
  PluginFixture f;
  auto job = f.job;
  job.params = {{"baud", 9600}};
  LogCapture log;
  const auto run = f.flash(exec_plugin(OTAGW_FILE_COPY_PLUGIN), job);
  CHECK_FALSE(run.outcome.flashed);
  CHECK(run.outcome.detail == "exit 1");
  CHECK(log.text().find("file-copy: params.target_dir is not set") != std::string::npos);
}
