// The pure parts of the plugin contract: line splitting, progress and version
// lines, the log budget, the environment.
#include <catch2/catch.hpp>

#include "subdev/line_splitter.hpp"
#include "subdev/plugin_environment.hpp"
#include "subdev/plugin_output.hpp"
#include "tests/plugins/plugin_fixture.hpp"

using namespace otagw;
using namespace otagw::subdev;

namespace {

struct Lines {
  std::vector<std::pair<std::string, bool>> got;
  LineSplitter::LineHandler handler() {
    return [this](std::string_view line, bool truncated) { got.emplace_back(std::string(line), truncated); };
  }
};

}  // namespace

TEST_CASE("LineSplitter splits across reads, strips CR and delivers an unterminated last line", "[unit]") {
  LineSplitter splitter(16);
  Lines lines;
  splitter.feed("progr", lines.handler());
  splitter.feed("ess 5\r\nsecond\n\nthi", lines.handler());
  splitter.feed("rd", lines.handler());
  splitter.finish(lines.handler());
  using L = std::vector<std::pair<std::string, bool>>;
  CHECK(lines.got == L{{"progress 5", false}, {"second", false}, {"", false}, {"third", false}});
}

TEST_CASE("LineSplitter cuts a long line and drops its rest", "[unit]") {
  LineSplitter splitter(4);
  Lines lines;
  splitter.feed("abcd\nabcdefgh", lines.handler());
  splitter.feed("ijk\nxy\n", lines.handler());
  splitter.finish(lines.handler());
  using L = std::vector<std::pair<std::string, bool>>;
  CHECK(lines.got == L{{"abcd", false}, {"abcd", true}, {"xy", false}});
}

TEST_CASE("progress lines", "[unit]") {
  CHECK(parse_progress("progress 0") == 0);
  CHECK(parse_progress("  progress\t100 \r") == 100);
  CHECK(parse_progress("progress 42") == 42);
  CHECK_FALSE(parse_progress("progress 101"));
  CHECK_FALSE(parse_progress("progress -1"));
  CHECK_FALSE(parse_progress("progress"));
  CHECK_FALSE(parse_progress("progress50"));
  CHECK_FALSE(parse_progress("progress 5.5"));
  CHECK_FALSE(parse_progress("progress 5 of 10"));
  CHECK_FALSE(parse_progress("Progress 5"));
}

TEST_CASE("version lines", "[unit]") {
  CHECK(parse_version("1.2.3") == "1.2.3");
  CHECK(parse_version(" \tv2.0-rc1 \r") == "v2.0-rc1");
  CHECK(parse_version(std::string(32, 'a')) == std::string(32, 'a'));
  CHECK_FALSE(parse_version(std::string(33, 'a')));
  CHECK_FALSE(parse_version(""));
  CHECK_FALSE(parse_version("   "));
  CHECK_FALSE(parse_version("1.0 beta"));
  CHECK_FALSE(parse_version("1.0\x1b[31m"));
}

TEST_CASE("OutputLog stops at its budget and says so once", "[unit]") {
  plugin_tests::LogCapture log;
  OutputLog out("a1PK/dev: plugin p", "stderr", OutputLog::Level::info, 160);
  out.write("0123456789", false);  // 74 of 160
  out.write("\x1b[2J", true);      // 68 of 160, control characters masked
  out.write("0123456789", false);  // over: dropped, noted
  out.write("more", false);
  const auto text = log.text();
  CHECK(text.find("a1PK/dev: plugin p: 0123456789") != std::string::npos);
  CHECK(text.find("a1PK/dev: plugin p: ?[2J [line cut]") != std::string::npos);
  CHECK(text.find("further stderr output not logged") != std::string::npos);
  CHECK(text.find("more") == std::string::npos);
}

TEST_CASE("plugin_environment replaces the inherited OTAGW_* variables", "[unit]") {
  PluginJob job;
  job.product_key = "pk";
  job.device_name = "dn";
  job.image = "/img";
  job.params = {{"s", std::string("\xff\xfe")}};  // not UTF-8: replaced, not thrown
  job.ext_data.clear();
  char a[] = "PATH=/usr/bin";
  char b[] = "OTAGW_IMAGE=/stale";
  char c[] = "OTAGW_X=1";
  char* inherited[] = {a, b, c, nullptr};

  const auto flash = plugin_environment(job, PluginCommand::flash, inherited);
  CHECK(flash == std::vector<std::string>{"PATH=/usr/bin", "OTAGW_IMAGE=/img", "OTAGW_PRODUCT_KEY=pk",
                                          "OTAGW_DEVICE_NAME=dn", "OTAGW_TARGET_VERSION=", "OTAGW_CURRENT_VERSION=",
                                          "OTAGW_MODULE=", "OTAGW_PARAMS={\"s\":\"\xef\xbf\xbd\xef\xbf\xbd\"}",
                                          "OTAGW_EXT_DATA={}", "OTAGW_IS_DIFF=0"});
  const auto version = plugin_environment(job, PluginCommand::version, inherited);
  CHECK(version.size() == flash.size() - 1);
  const auto names_image = [](const std::string& entry) { return entry.starts_with("OTAGW_IMAGE"); };
  CHECK(std::none_of(version.begin(), version.end(), names_image));
}
