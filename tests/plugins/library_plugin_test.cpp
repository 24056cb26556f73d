// Library plugins through otagw-plugin-host: the sample plugin, an ABI
// mismatch, a crash, and what the host refuses.
#include <catch2/catch.hpp>

#include "tests/plugins/plugin_fixture.hpp"

using namespace otagw;
using namespace otagw::plugin_tests;

TEST_CASE("the sample library plugin writes the image and then reports the version", "[integration]") {
  PluginFixture f;
  const auto plugin = library_plugin(OTAGW_SAMPLE_LIBRARY);
  const auto target = f.dir() / "device";

  CHECK_FALSE(f.version(plugin));  // never flashed: cannot tell

  const auto run = f.flash(plugin);
  CHECK(run.outcome.flashed);
  CHECK(run.outcome.detail == "exit 0");
  CHECK(read_file(target / "image.bin") == f.image_bytes());
  CHECK(read_file(target / "VERSION") == "2.0.0\n");
  CHECK_FALSE(std::filesystem::exists(target / "image.bin.part"));
  // The host reports progress per 64 KiB chunk: 0, then rising, 100 last.
  REQUIRE(run.progress.size() >= 3);
  CHECK(run.progress.front() == 0);
  CHECK(run.progress.back() == 100);
  CHECK(std::is_sorted(run.progress.begin(), run.progress.end()));

  CHECK(f.version(plugin) == "2.0.0");
}

TEST_CASE("a library plugin whose start fails fails the flash with 'exit 1'", "[integration]") {
  PluginFixture f;
  auto job = f.job;
  job.params = nlohmann::json::object();  // no target_dir: the sample refuses
  LogCapture log;
  const auto run = f.flash(library_plugin(OTAGW_SAMPLE_LIBRARY), job);
  CHECK_FALSE(run.outcome.flashed);
  CHECK(run.outcome.detail == "exit 1");
  CHECK(log.text().find("sample_flash: params.target_dir is missing") != std::string::npos);
}

TEST_CASE("a library plugin built for another ABI version is refused with exit 3", "[integration]") {
  PluginFixture f;
  LogCapture log;
  const auto run = f.flash(library_plugin(OTAGW_TEST_ABI_MISMATCH));
  CHECK_FALSE(run.outcome.flashed);
  CHECK(run.outcome.detail == "exit 3");
  CHECK(log.text().find("implements plugin ABI version 99; this host implements version 1") != std::string::npos);
  CHECK_FALSE(f.version(library_plugin(OTAGW_TEST_ABI_MISMATCH)));
}

TEST_CASE("a library plugin that crashes in write fails the flash and only the host dies", "[integration]") {
  PluginFixture f;
  const auto run = f.flash(library_plugin(OTAGW_TEST_CRASHING));
  CHECK_FALSE(run.outcome.flashed);
  CHECK(run.outcome.detail == "killed by signal 6");  // abort()
  CHECK(run.progress == std::vector<int>{0});
  // Still here, and the runner still works.
  CHECK(f.flash(library_plugin(OTAGW_SAMPLE_LIBRARY)).outcome.flashed);
}

TEST_CASE("a library plugin without version() cannot tell", "[integration]") {
  PluginFixture f;
  CHECK_FALSE(f.version(library_plugin(OTAGW_TEST_CRASHING)));
}

TEST_CASE("the host cannot run a missing library or a multi-file package: exit 2", "[integration]") {
  PluginFixture f;
  SECTION("missing library") {
    LogCapture log;
    const auto run = f.flash(library_plugin(f.dir() / "missing.so"));
    CHECK(run.outcome.detail == "exit 2");
    CHECK(log.text().find("otagw-plugin-host: cannot load plugin") != std::string::npos);
  }
  SECTION("multi-file package") {
    auto job = f.job;
    job.image.clear();
    job.image_dir = f.dir();
    LogCapture log;
    const auto run = f.flash(library_plugin(OTAGW_SAMPLE_LIBRARY), job);
    CHECK(run.outcome.detail == "exit 2");
    CHECK(log.text().find("library plugins take single-file images only") != std::string::npos);
  }
}
