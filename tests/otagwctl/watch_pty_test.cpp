// `otagwctl status --watch` on a real (pseudo-)terminal: what the screen shows
// while events arrive, that it redraws in place, Ctrl-C, a resize, a daemon
// that goes away.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/otagwctl/fake_daemon.hpp"
#include "tests/otagwctl/pty_process.hpp"
#include "tests/otagwctl/status_samples.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace otagw::ctl_test;
using otagw::test_support::TempDir;
using namespace std::chrono_literals;

// How many rows, on the screen and scrolled off it, hold `text`.
std::size_t rows_with(const TerminalScreen& screen, const std::string& text) {
  auto has = [&](const std::string& row) { return row.find(text) != std::string::npos; };
  const auto rows = screen.rows();
  return static_cast<std::size_t>(std::count_if(rows.begin(), rows.end(), has) +
                                  std::count_if(screen.scrolled().begin(), screen.scrolled().end(), has));
}

struct WatchOnTerminal {
  TempDir dir{"otagwctl-pty"};
  FakeDaemon daemon{dir.path() / "otagw.sock"};
  std::unique_ptr<PtyProcess> otagwctl;

  WatchOnTerminal(unsigned short columns, unsigned short rows) {
    otagwctl = std::make_unique<PtyProcess>(
        std::vector<std::string>{OTAGWCTL_PATH, "--socket", daemon.socket().string(), "status", "--watch"}, columns,
        rows);
    REQUIRE(daemon.accept_request() == R"({"v":1,"cmd":"watch"})");
    daemon.send(answer_line("watch", {{"status", sample_status()}}));
  }
};

}  // namespace

TEST_CASE("watch on a terminal: progress bars redrawn in place as events come, Ctrl-C ends it with 0",
          "[integration]") {
  WatchOnTerminal watch(100, 24);
  PtyProcess& otagwctl = *watch.otagwctl;
  REQUIRE(otagwctl.wait_for_text("a1B2c3D4e5F/sub-0001        download [############------------------]  42%  1.0.0 -> 1.1.0", 20s));
  // (A frame may arrive in more than one read: wait for its other lines too.)
  REQUIRE(otagwctl.wait_for_text("a1B2c3D4e5F/sub-0002 (mcu)  flash    [#####-------------------------]  17%", 20s));
  REQUIRE(otagwctl.wait_for_text("a1B2c3D4e5F/sub-0003  1.0.0    idle   -           offer 1.2.0 failed", 20s));

  RowSpec download{"sub-0001", "downloading"};
  download.target = "1.1.0";
  for (int percent = 43; percent <= 100; ++percent) {
    download.progress = percent;
    watch.daemon.send(device_event(download));
  }
  REQUIRE(otagwctl.wait_for_text("download [##############################] 100%  1.0.0 -> 1.1.0", 20s));

  RowSpec flash{"sub-0001", "flashing"};
  flash.target = "1.1.0";
  flash.flash_progress = 50;
  watch.daemon.send(device_event(flash));
  REQUIRE(otagwctl.wait_for_text("a1B2c3D4e5F/sub-0001        flash    [###############---------------]  50%", 20s));

  // Done: the device leaves the jobs for the table below.
  RowSpec done{"sub-0001"};
  done.version = "1.1.0";
  done.last_result = "offer 1.1.0 installed";
  watch.daemon.send(device_event(done));
  REQUIRE(otagwctl.wait_for([](const TerminalScreen& screen) {
    const std::string text = screen.text();
    return text.find("a1B2c3D4e5F/sub-0001  1.1.0    idle") != std::string::npos &&
           text.find("a1B2c3D4e5F/sub-0001        ") == std::string::npos;
  }, 20s));

  // In place: one header, one row per device, nothing scrolled away.
  const TerminalScreen& screen = otagwctl.screen();
  CHECK(rows_with(screen, "pass 3 running") == 1);
  CHECK(rows_with(screen, "a1B2c3D4e5F/sub-0001") == 1);
  CHECK(rows_with(screen, "a1B2c3D4e5F/sub-0002") == 1);
  CHECK(screen.scrolled().empty());
  CHECK(screen.unknown_sequences().empty());

  otagwctl.type("\x03");  // Ctrl-C
  CHECK(otagwctl.wait_exit(20s) == 0);
}

TEST_CASE("watch on a terminal: a resize redraws the frame for the new width", "[integration]") {
  WatchOnTerminal watch(120, 30);
  PtyProcess& otagwctl = *watch.otagwctl;
  REQUIRE(otagwctl.wait_for_text("since 2026-12-07", 20s));
  otagwctl.resize(60, 20);
  REQUIRE(otagwctl.wait_for([](const TerminalScreen& screen) {
    const auto rows = screen.rows();
    return !rows.empty() && rows[0].size() == 59 && rows[0].substr(56) == "...";
  }, 20s));
  for (const auto& row : otagwctl.screen().rows()) CHECK(row.size() < 60);
  CHECK(rows_with(otagwctl.screen(), "pass 3 running") == 1);
  CHECK(otagwctl.screen().unknown_sequences().empty());
  otagwctl.type("\x03");
  CHECK(otagwctl.wait_exit(20s) == 0);
}

TEST_CASE("watch on a terminal: the daemon going away leaves the last frame, says so, exits 3", "[integration]") {
  WatchOnTerminal watch(100, 24);
  PtyProcess& otagwctl = *watch.otagwctl;
  REQUIRE(otagwctl.wait_for_text("download [############------------------]  42%", 20s));
  watch.daemon.close_connection();
  CHECK(otagwctl.wait_exit(20s) == 3);
  const std::string text = otagwctl.screen().text();
  CHECK(text.find("download [############------------------]  42%") != std::string::npos);
  CHECK(text.find("otagwctl: otagwd closed the watch connection") != std::string::npos);
}

TEST_CASE("status on a terminal: the table fits the terminal's width", "[integration]") {
  TempDir dir("otagwctl-pty");
  FakeDaemon daemon(dir.path() / "otagw.sock");
  PtyProcess otagwctl({OTAGWCTL_PATH, "--socket", daemon.socket().string(), "status"}, 100, 24);
  REQUIRE(daemon.accept_request() == R"({"v":1,"cmd":"status"})");
  daemon.send(answer_line("status", {{"status", sample_status()}}));
  daemon.close_connection();
  REQUIRE(otagwctl.wait_exit(20s) == 0);
  const auto rows = otagwctl.screen().rows();
  for (const auto& row : rows) CHECK(row.size() < 100);
  CHECK(std::count_if(rows.begin(), rows.end(), [](const std::string& row) { return row.find("a1B2c3D4e5F/sub-") == 0; }) == 3);
}
