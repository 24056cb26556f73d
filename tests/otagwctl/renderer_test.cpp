// The renderers without a daemon: the status object as a table, live frames
// and their redraws, the plain watch lines; the status model's event updates.
#include <catch2/catch.hpp>

#include <algorithm>
#include <ctime>
#include <sstream>

#include "tests/otagwctl/status_samples.hpp"
#include "tools/otagwctl/status_table.hpp"
#include "tools/otagwctl/status_view.hpp"
#include "tools/otagwctl/text_cells.hpp"
#include "tools/otagwctl/watch_live.hpp"
#include "tools/otagwctl/watch_plain.hpp"

namespace {

using namespace otagw::ctl;
using namespace otagw::ctl_test;

StatusView sample_view() {
  auto view = parse_status(sample_status());
  REQUIRE(view);
  return *view;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

WatchEvent event_of(const std::string& line) { return parse_event(nlohmann::json::parse(line)); }

// The tests' clock: 2026-12-07 18:00:00 UTC, the day of the sample's checks.
std::chrono::system_clock::time_point test_now() {
  std::tm parts{};
  parts.tm_year = 2026 - 1900;
  parts.tm_mon = 11;
  parts.tm_mday = 7;
  parts.tm_hour = 18;
  return std::chrono::system_clock::from_time_t(::timegm(&parts));
}

TableOptions table_options(std::size_t width = 0) { return TableOptions{width, TimeZone::utc, test_now()}; }

}  // namespace

TEST_CASE("The status object of docs/control.md reads field by field", "[unit]") {
  const StatusView view = sample_view();
  CHECK(view.daemon.version == "0.4.0");
  CHECK(view.daemon.pid == 812);
  CHECK(view.connection.state == "connected");
  CHECK(view.pass.running);
  CHECK(view.pass.number == 3);
  REQUIRE(view.devices.size() == 3);
  CHECK(view.devices[0].label() == "a1B2c3D4e5F/sub-0001");
  CHECK(view.devices[0].progress == 42);
  CHECK_FALSE(view.devices[0].flash_progress);
  CHECK(view.devices[0].target_version == "1.1.0");
  CHECK(view.devices[1].module == "mcu");
  CHECK(view.devices[1].flash_progress == 17);
  CHECK(view.devices[2].error == "download failed: HTTP 404");
  CHECK_FALSE(view.devices[2].last_check);
}

TEST_CASE("A status object with missing or mistyped fields still reads, a non-object does not", "[unit]") {
  auto view = parse_status(nlohmann::json::parse(
      R"({"devices": [{"product_key": "p", "device_name": 7, "progress": "x", "flash_progress": 250}], "pass": 1})"));
  REQUIRE(view);
  REQUIRE(view->devices.size() == 1);
  CHECK(view->devices[0].device_name.empty());
  CHECK_FALSE(view->devices[0].progress);
  CHECK(view->devices[0].flash_progress == 100);
  CHECK_FALSE(view->pass.running);
  CHECK_FALSE(parse_status(nlohmann::json::array()));
}

TEST_CASE("status: the table has a row per device and module, columns aligned", "[unit]") {
  const std::string text = render_status(sample_view(), table_options());
  const std::string expected =
      "otagwd 0.4.0 (pid 812): connected to a1Gw.iot-as-mqtt.cn-shanghai.aliyuncs.com:443 since 2026-12-07 15:02:12\n"
      "pass 3 running since 2026-12-07 16:02:12: 1 of 3 visited\n"
      "\n"
      "device                module  version  state        progress      last check  last result\n"
      "a1B2c3D4e5F/sub-0001  -       1.0.0    downloading  42% -> 1.1.0  15:02:14    offer 1.1.0 installed\n"
      "a1B2c3D4e5F/sub-0002  mcu     2.0.0    flashing     17% -> 2.1.0  15:02:14    up_to_date\n"
      "a1B2c3D4e5F/sub-0003  -       1.0.0    idle         -             -           offer 1.2.0 failed: download failed: HTTP 404\n";
  CHECK(text == expected);
}

TEST_CASE("status: the module column only when a row has a module, last checks of other days with their date", "[unit]") {
  auto status = sample_status();
  status["devices"][1]["module"] = "";
  status["devices"][1]["last_check"] = "2026-12-06T23:59:59Z";
  auto view = parse_status(status);
  REQUIRE(view);
  const auto lines = lines_of(render_status(*view, table_options()));
  REQUIRE(lines.size() == 7);
  CHECK(lines[3] == "device                version  state        progress      last check        last result");
  CHECK(lines[5] == "a1B2c3D4e5F/sub-0002  2.0.0    flashing     17% -> 2.1.0  2026-12-06 23:59  up_to_date");
}

TEST_CASE("status: a pass that ended names its summary and the next one", "[unit]") {
  auto status = sample_status();
  status["pass"] = pass_object(false);
  auto view = parse_status(status);
  REQUIRE(view);
  const auto lines = lines_of(render_status(*view, table_options()));
  REQUIRE(lines.size() > 2);
  CHECK(lines[1] == "pass 3 ended 2026-12-07 16:05:40: 3 visited, 2 up to date, 1 installed; next 2026-12-07 17:02:12");
}

TEST_CASE("status: long values are cut, and on a terminal no line is wider than it", "[unit]") {
  auto status = sample_status();
  RowSpec long_row{std::string(60, 'n')};
  long_row.error = std::string(300, 'e');
  status["devices"].push_back(device_row(long_row));
  auto view = parse_status(status);
  REQUIRE(view);

  const auto fixed = lines_of(render_status(*view, table_options()));
  const std::string& row = fixed.back();
  // The device's front gives way: the device name's end tells devices apart.
  CHECK(row.find("..." + std::string(37, 'n') + "  ") == 0);
  // The last result is cut at 80 columns.
  CHECK(row.find("up_to_date: " + std::string(65, 'e') + "...") != std::string::npos);
  CHECK(row.find(std::string(66, 'e')) == std::string::npos);

  const auto fitted = lines_of(render_status(*view, table_options(120)));
  for (const auto& line : fitted) CHECK(display_width(line) < 120);
  CHECK(fitted.back().find("up_to_date: eee") != std::string::npos);
}

TEST_CASE("status: checks of another day (full dates) still fit a 100-column terminal", "[unit]") {
  // The day after the sample's checks: their times take the date along and
  // the columns before the last outgrow the room the device can give up.
  auto view = parse_status(sample_status());
  REQUIRE(view);
  const TableOptions next_day{100, TimeZone::utc, test_now() + std::chrono::hours(24)};
  const auto lines = lines_of(render_status(*view, next_day));
  CHECK(std::any_of(lines.begin(), lines.end(),
                    [](const std::string& line) { return line.find("2026-12-07 15:02") != std::string::npos; }));
  for (const auto& line : lines) CHECK(display_width(line) < 100);
}

TEST_CASE("status: a control character in a value cannot reach the terminal", "[unit]") {
  auto status = sample_status();
  status["devices"][2]["error"] = "bad\x1b[2Jthing\nnext";
  auto view = parse_status(status);
  REQUIRE(view);
  const std::string text = render_status(*view, table_options());
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find("bad?[2Jthing?next") != std::string::npos);
}

TEST_CASE("status: no sub-devices says so", "[unit]") {
  auto status = sample_status();
  status["devices"] = nlohmann::json::array();
  auto view = parse_status(status);
  REQUIRE(view);
  CHECK(lines_of(render_status(*view, table_options())).back() == "no sub-devices in the configuration");
}

TEST_CASE("Cells: cut and padded by display width, UTF-8 kept whole", "[unit]") {
  CHECK(cut("abcdefgh", 8) == "abcdefgh");
  CHECK(cut("abcdefgh", 7) == "abcd...");
  CHECK(cut("\xc3\xa4\xc3\xb6\xc3\xbc\xc3\xa4\xc3\xb6", 4) == "\xc3\xa4...");
  CHECK(cut_front("a1B2c3D4e5F/sub-0001", 11) == "...sub-0001");
  CHECK(cut_front("\xc3\xa4\xc3\xb6\xc3\xbc\xc3\xa4\xc3\xb6", 4) == "...\xc3\xb6");
  CHECK(cut_front("abc", 3) == "abc");
  CHECK(display_width("\xc3\xa4x") == 2);
  CHECK(pad("\xc3\xa4", 3) == "\xc3\xa4  ");
  CHECK(progress_bar(50, 12) == "[#####-----]");
  CHECK(progress_bar(100, 4) == "[##]");
  CHECK(progress_bar(-5, 4) == "[--]");
  CHECK(format_time(std::optional<std::string>("2026-12-07T15:02:14Z"), TimeZone::utc) == "2026-12-07 15:02:14");
  CHECK(format_time(std::optional<std::string>("soon"), TimeZone::utc) == "soon");
  CHECK(format_time(std::nullopt, TimeZone::utc) == "-");
}

TEST_CASE("Live frame: a progress bar per job in flight, the rest as a compact table", "[unit]") {
  const auto frame = live_frame(sample_view(), TerminalSize{100, 20}, TimeZone::utc, test_now());
  const std::vector<std::string> expected = {
      "otagwd 0.4.0 (pid 812): connected to a1Gw.iot-as-mqtt.cn-shanghai.aliyuncs.com:443 since 2026-12...",
      "pass 3 running since 2026-12-07 16:02:12: 1 of 3 visited",
      "",
      "a1B2c3D4e5F/sub-0001        download [############------------------]  42%  1.0.0 -> 1.1.0",
      "a1B2c3D4e5F/sub-0002 (mcu)  flash    [#####-------------------------]  17%  2.0.0 -> 2.1.0",
      "",
      "device                version  state  last check  last result",
      "a1B2c3D4e5F/sub-0003  1.0.0    idle   -           offer 1.2.0 failed: download failed: HTTP 404",
  };
  CHECK(frame == expected);
}

TEST_CASE("Live frame: jobs without a percentage show their state, a module column when a row has one", "[unit]") {
  auto status = sample_status();
  RowSpec confirming{"sub-0004", "confirming"};
  confirming.target = "1.1.0";
  status["devices"].push_back(device_row(confirming));
  RowSpec module_row{"sub-0005"};
  module_row.module = "radio";
  status["devices"].push_back(device_row(module_row));
  auto view = parse_status(status);
  REQUIRE(view);
  const auto frame = live_frame(*view, TerminalSize{200, 30}, TimeZone::utc, test_now());
  CHECK(std::find(frame.begin(), frame.end(),
                  "a1B2c3D4e5F/sub-0004        confirming                                      1.0.0 -> 1.1.0") !=
        frame.end());
  CHECK(std::find(frame.begin(), frame.end(), "device                module  version  state  last check  last result") !=
        frame.end());
  CHECK(std::find(frame.begin(), frame.end(), "a1B2c3D4e5F/sub-0005  radio   1.0.0    idle   15:02:14    up_to_date") !=
        frame.end());
}

TEST_CASE("Live frame: never taller or wider than the terminal, what does not fit is counted", "[unit]") {
  auto status = sample_status();
  for (int i = 10; i < 210; ++i) status["devices"].push_back(device_row(RowSpec{"sub-0" + std::to_string(i)}));
  for (int i = 0; i < 30; ++i) {
    RowSpec job{"job-" + std::to_string(i), "downloading"};
    job.progress = i;
    job.target = "9.9.9";
    status["devices"].push_back(device_row(job));
  }
  auto view = parse_status(status);
  REQUIRE(view);

  const auto roomy = live_frame(*view, TerminalSize{80, 60}, TimeZone::utc, test_now());
  CHECK(roomy.size() == 59);
  for (const auto& line : roomy) CHECK(display_width(line) < 80);
  CHECK(std::find(roomy.begin(), roomy.end(), "... and 180 more sub-devices") != roomy.end());

  const auto small = live_frame(*view, TerminalSize{60, 12}, TimeZone::utc, test_now());
  CHECK(small.size() == 11);
  for (const auto& line : small) CHECK(display_width(line) < 60);
  CHECK(small.back() == "... and 25 more jobs in flight");
  // Narrow: the bar shrinks, the labels give way at their front.
  CHECK(small[3] == "...4e5F/sub-0001  download [####------]  42%  1.0.0 -> 1...");

  const auto tiny = live_frame(*view, TerminalSize{30, 3}, TimeZone::utc, test_now());
  CHECK(tiny.size() == 2);
}

TEST_CASE("Live screen: redraws in place, skips an unchanged frame, clears after a resize", "[unit]") {
  LiveScreen screen;
  CHECK(screen.draw({"a", "b"}) == "a\x1b[K\nb\x1b[K\n\x1b[J");
  CHECK(screen.draw({"a", "b"}).empty());
  CHECK(screen.draw({"c"}) == "\x1b[2Fc\x1b[K\n\x1b[J");
  screen.resized();
  CHECK(screen.draw({"c"}) == "\x1b[H\x1b[2Jc\x1b[K\n\x1b[J");
}

TEST_CASE("Plain watch: the start names the connection, the pass and the busy devices", "[unit]") {
  PlainWatch watch(TimeZone::utc);
  const std::vector<std::string> expected = {
      "watching otagwd 0.4.0 (pid 812): connected to a1Gw.iot-as-mqtt.cn-shanghai.aliyuncs.com:443 since "
      "2026-12-07 15:02:12",
      "pass 3 running since 2026-12-07 16:02:12: 1 of 3 visited",
      "a1B2c3D4e5F/sub-0001: downloading 1.1.0: 40%",
      "a1B2c3D4e5F/sub-0002 (mcu): flashing 2.1.0: 10%",
  };
  CHECK(watch.start(sample_view()) == expected);
}

TEST_CASE("Plain watch: progress in steps of 10 %, a line per change of state", "[unit]") {
  PlainWatch watch(TimeZone::utc);
  (void)watch.start(sample_view());
  RowSpec row{"sub-0001", "downloading"};
  row.target = "1.1.0";
  row.last_result = "offer 1.1.0 installed";
  auto at = [&](int percent) {
    row.progress = percent;
    return watch.event(event_of(device_event(row)));
  };
  CHECK(at(45).empty());
  CHECK(at(49).empty());
  CHECK(at(50) == std::vector<std::string>{"a1B2c3D4e5F/sub-0001: downloading 1.1.0: 50%"});
  CHECK(at(100) == std::vector<std::string>{"a1B2c3D4e5F/sub-0001: downloading 1.1.0: 100%"});
  row.state = "verifying";
  CHECK(at(100) == std::vector<std::string>{"a1B2c3D4e5F/sub-0001: verifying 1.1.0: 100%"});
  row.state = "flashing";
  row.progress = std::nullopt;
  row.flash_progress = 3;
  CHECK(watch.event(event_of(device_event(row))) ==
        std::vector<std::string>{"a1B2c3D4e5F/sub-0001: flashing 1.1.0: 0%"});
  row = RowSpec{"sub-0001"};
  row.version = "1.1.0";
  row.last_result = "offer 1.1.0 installed";
  CHECK(watch.event(event_of(device_event(row))) ==
        std::vector<std::string>{"a1B2c3D4e5F/sub-0001: idle at 1.1.0, last result offer 1.1.0 installed"});
  CHECK(watch.event(event_of(device_event(row))).empty());
}

TEST_CASE("Plain watch: passes, the connection, removed devices and reloads", "[unit]") {
  PlainWatch watch(TimeZone::utc);
  (void)watch.start(sample_view());
  const auto pass_event = [](bool running, int number) {
    return nlohmann::json{{"v", 1}, {"event", "pass"}, {"pass", pass_object(running, number)}}.dump();
  };
  CHECK(watch.event(event_of(pass_event(true, 3))).empty());  // the start told it
  CHECK(watch.event(event_of(pass_event(false, 3))) ==
        std::vector<std::string>{
            "pass 3 ended 2026-12-07 16:05:40: 3 visited, 2 up to date, 1 installed; next 2026-12-07 17:02:12"});
  CHECK(watch.event(event_of(pass_event(true, 4))) == std::vector<std::string>{"pass 4 started: 3 sub-devices"});

  auto connection = connection_object("connecting");
  connection["detail"] = "broker closed the connection";
  CHECK(watch.event(event_of(nlohmann::json{{"v", 1}, {"event", "connection"}, {"connection", connection}}.dump())) ==
        std::vector<std::string>{
            "connecting to a1Gw.iot-as-mqtt.cn-shanghai.aliyuncs.com:443 (broker closed the connection)"});

  CHECK(watch.event(event_of(R"({"v":1,"event":"device_removed","product_key":"a1B2c3D4e5F","device_name":"sub-0003","module":""})")) ==
        std::vector<std::string>{"a1B2c3D4e5F/sub-0003: removed from the configuration"});
  CHECK(watch.event(event_of(R"({"v":1,"event":"reload","ok":true,"added":["p/a","p/b"],"removed":["p/c"],"updated":[]})")) ==
        std::vector<std::string>{"reload applied; added p/a, p/b; removed p/c"});
  CHECK(watch.event(event_of(R"({"v":1,"event":"reload","ok":false,"errors":["gateway.yaml:3: mqtt.port: expected 1-65535"]})")) ==
        std::vector<std::string>{"reload refused; the old configuration stays:",
                                 "  gateway.yaml:3: mqtt.port: expected 1-65535"});
  CHECK(watch.event(event_of(R"({"v":1,"event":"from_the_future"})")).empty());
  CHECK(with_time(std::chrono::system_clock::from_time_t(0), TimeZone::utc, "x") == "1970-01-01 00:00:00 x");
}

TEST_CASE("Events update the status: a row replaced, added, removed, the pass and connection replaced", "[unit]") {
  StatusView view = sample_view();
  RowSpec row{"sub-0001"};
  row.version = "1.1.0";
  apply_event(view, event_of(device_event(row)));
  REQUIRE(view.devices.size() == 3);
  CHECK(view.devices[0].state == "idle");
  CHECK(view.devices[0].version == "1.1.0");

  RowSpec other_module{"sub-0001"};
  other_module.module = "radio";
  apply_event(view, event_of(device_event(other_module)));
  REQUIRE(view.devices.size() == 4);
  CHECK(view.devices[3].module == "radio");

  apply_event(view, event_of(R"({"v":1,"event":"device_removed","product_key":"a1B2c3D4e5F","device_name":"sub-0001","module":""})"));
  REQUIRE(view.devices.size() == 3);
  CHECK(view.devices[0].device_name == "sub-0002");

  apply_event(view, event_of(nlohmann::json{{"v", 1}, {"event", "pass"}, {"pass", pass_object(false, 9)}}.dump()));
  CHECK(view.pass.number == 9);
  CHECK_FALSE(view.pass.running);
  apply_event(view, event_of(nlohmann::json{{"v", 1}, {"event", "connection"}, {"connection", connection_object("refused")}}.dump()));
  CHECK(view.connection.state == "refused");
}
