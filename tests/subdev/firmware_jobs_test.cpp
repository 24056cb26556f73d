// FirmwareJobs in-process, with offers no well-behaved cloud would send
// (hostile ones) and shapes the simulator does not offer yet (multi-file):
// the test plays the platform and records the progress steps it is sent.
#include <catch2/catch.hpp>

#include <fstream>
#include <functional>
#include <sstream>

#include "tests/subdev/anonymous_session.hpp"
#include "subdev/firmware_jobs.hpp"
#include "tests/subdev/firmware_host.hpp"
#include "tests/support/mosquitto_broker.hpp"
#include "tests/support/run_with_timeout.hpp"
#include "tests/support/temp_dir.hpp"

using namespace otagw;
using namespace std::chrono_literals;

namespace {


std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct JobHarness {
  test_support::MosquittoBroker broker;
  test_support::TempDir dir{"otagw-jobs"};
  sweep_test::FirmwareHost host{dir.path()};
  asio::io_context io;
  asio::thread_pool pool{1};
  transports::MqttSession gateway{io.get_executor(), pool.get_executor(), sweep_test::anonymous_session(broker.port(), "gw")};
  transports::MqttSession platform{io.get_executor(), pool.get_executor(), sweep_test::anonymous_session(broker.port(), "platform")};
  subdev::PublishPacer pacer{0};
  subdev::CloudRpc rpc{gateway, pacer};
  subdev::DeviceStateStore state{dir.path() / "state"};
  subdev::Subdevice device{"a1SubProd1", "sub-0000", config::Secret("s"), {}};
  std::vector<std::string> steps;  // what the platform was told on .../progress
  std::vector<std::string> descs;  // and the desc of each step
  std::unique_ptr<subdev::FirmwareJobs> jobs;

  explicit JobHarness(const std::function<void(subdev::FirmwareJobsOptions&)>& adjust = {}) {
    std::filesystem::create_directories(dir.path() / "state");
    device.modules.push_back({"", "1.0.0", "rec", nlohmann::json{{"target_dir", (dir.path() / "target").string()}}});
    config::PluginConfig recorder;
    recorder.name = "rec";
    recorder.path = std::string(OTAGW_SOURCE_DIR) + "/tests/subdev/plugins/recorder";
    recorder.timeout_s = 20;
    subdev::FirmwareJobsOptions options;
    options.state_dir = dir.path() / "state";
    options.allow_http = true;
    options.max_image_bytes = 1000000;
    options.download_retry_budget = 0s;
    if (adjust) adjust(options);
    jobs = std::make_unique<subdev::FirmwareJobs>(io.get_executor(), pool.get_executor(), gateway, rpc, state,
                                                  std::map<std::string, config::PluginConfig>{{"rec", recorder}},
                                                  options);
    platform.set_message_handler([this](std::string_view, std::string_view payload) {
      const auto params = nlohmann::json::parse(payload)["params"];
      steps.push_back(params["step"].get<std::string>());
      descs.push_back(params.value("desc", ""));
    });
    gateway.start();
    platform.start();
  }
  ~JobHarness() {
    gateway.stop();
    platform.stop();
    io.run_for(200ms);
    pool.join();
  }

  // Runs the offer (raw JSON, as the cloud would send it) through the job, or
  // refuses it as the channel would when it does not parse.
  subdev::JobOutcome offer(const nlohmann::json& data, subdev::FirmwareJobs::Requery requery = nullptr) {
    subdev::JobOutcome outcome = subdev::JobOutcome::failed;
    test_support::run_with_timeout(
        io,
        [](JobHarness& h, nlohmann::json raw, subdev::FirmwareJobs::Requery again,
           subdev::JobOutcome& out) -> asio::awaitable<void> {
          (void)co_await h.gateway.async_wait_connected(5s, asio::use_awaitable);
          (void)co_await h.platform.async_wait_connected(5s, asio::use_awaitable);
          const std::vector<std::string> topics = {"/ota/device/progress/+/+"};
          (void)co_await h.platform.async_subscribe(topics, 1, asio::use_awaitable);
          auto parsed = subdev::convert_firmware_offer(raw);
          if (!parsed) {
            co_await h.jobs->refuse(h.device, h.device.modules[0], "unusable offer: " + parsed.error().context);
            out = subdev::JobOutcome::failed;
          } else {
            const std::string current = "1.0.0";
            out = co_await h.jobs->run(h.device, h.device.modules[0], std::move(*parsed), current, std::move(again));
          }
          co_await test_support::sleep_for(100ms);  // the last step reaches the platform
        }(*this, data, std::move(requery), outcome));
    return outcome;
  }

  [[nodiscard]] bool flashed() const { return std::filesystem::exists(dir.path() / "target" / "flashes"); }
};

}  // namespace

TEST_CASE("hostile offers are refused with a failure step and nothing is flashed", "[integration][jobs]") {
  const auto size = nlohmann::json(1000);
  struct Case {
    const char* what;
    nlohmann::json data;
    const char* step;
  };
  JobHarness h;
  const auto image = h.host.add("x.bin", 1000);
  const std::string url = h.host.url(image);
  const std::vector<Case> cases = {
      {"file:// URL", {{"version", "2.0"}, {"size", 1000}, {"url", "file:///etc/passwd"}, {"signMethod", "SHA256"},
                       {"sign", image.sha256}}, "-2"},
      {"negative size", {{"version", "2.0"}, {"size", -1000}, {"url", url}, {"signMethod", "SHA256"},
                         {"sign", image.sha256}}, "-1"},
      {"huge size", {{"version", "2.0"}, {"size", 99999999999ULL}, {"url", url}, {"signMethod", "SHA256"},
                     {"sign", image.sha256}}, "-2"},
      {"../ in version", {{"version", "../../etc"}, {"size", 1000}, {"url", url}, {"signMethod", "SHA256"},
                          {"sign", image.sha256}}, "-1"},
      {"5000-char version", {{"version", std::string(5000, '7')}, {"size", 1000}, {"url", url},
                             {"signMethod", "SHA256"}, {"sign", image.sha256}}, "-1"},
      {"unknown signMethod", {{"version", "2.0"}, {"size", 1000}, {"url", url}, {"signMethod", "CRC32"},
                              {"sign", image.sha256}}, "-1"},
      {"stream download", {{"version", "2.0"}, {"dProtocol", "mqtt"}, {"streamId", 1}, {"streamFileId", 1}}, "-1"},
      {"size smaller than the file", {{"version", "2.0"}, {"size", 10}, {"url", url}, {"signMethod", "SHA256"},
                                      {"sign", image.sha256}}, "-2"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    h.steps.clear();
    CHECK(h.offer(c.data) == subdev::JobOutcome::failed);
    REQUIRE_FALSE(h.steps.empty());
    CHECK(h.steps.back() == c.step);
    CHECK_FALSE(h.flashed());
  }
  // Only the last case reached the server, and was cut at its declared size.
  CHECK(h.host.requests(image) == 1);
}

TEST_CASE("a multi-file package reaches the plugin as a directory with a manifest", "[integration][jobs]") {
  JobHarness h;
  const auto boot = h.host.add("boot.bin", 3000);
  const auto app = h.host.add("app.bin", 7000);
  const nlohmann::json data = {
      {"version", "4.0.0"},
      {"signMethod", "SHA256"},
      {"files", {{{"fileName", "boot.bin"}, {"fileSize", 3000}, {"fileUrl", h.host.url(boot)}, {"fileSign", boot.sha256}},
                 {{"fileName", "app.bin"}, {"fileSize", 7000}, {"fileUrl", h.host.url(app)}, {"fileSign", app.sha256}}}}};
  CHECK(h.offer(data) == subdev::JobOutcome::installed);
  const auto target = h.dir.path() / "target";
  CHECK(read(target / "image" / "boot.bin") == read(boot.file));
  CHECK(read(target / "image" / "app.bin") == read(app.file));
  const auto manifest = nlohmann::json::parse(read(target / "image" / "manifest.json"));
  REQUIRE(manifest.at("files").size() == 2);
  CHECK(manifest["files"][0]["name"] == "boot.bin");
  CHECK(manifest["files"][1]["size"] == 7000);
  CHECK(manifest["files"][0]["signMethod"] == "sha256");
  CHECK(read(target / "env").find("OTAGW_IMAGE_DIR=") != std::string::npos);
  CHECK(h.steps.back() == "100");
  CHECK(h.state.find("a1SubProd1.sub-0000")->installed_versions.at("") == "4.0.0");
}

TEST_CASE("a shared image lives while a job needs it: none is left once the jobs have ended", "[integration][jobs]") {
  JobHarness h;
  const auto a = h.host.add("a.bin", 4000);
  const auto b = h.host.add("b.bin", 4000);
  REQUIRE(b.sha256 != a.sha256);
  const nlohmann::json offer_a = {
      {"version", "2.0.0"}, {"size", 4000}, {"url", h.host.url(a)}, {"signMethod", "SHA256"}, {"sign", a.sha256}};
  const auto cached = [&h] {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(h.dir.path() / "state" / "cache", ec)) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  };
  nlohmann::json corrupt = offer_a;
  corrupt["version"] = "3.0.1";
  corrupt["url"] = h.host.url(b);  // b's bytes under a's digest: fails verification
  CHECK(h.offer(offer_a) == subdev::JobOutcome::installed);
  CHECK(cached().empty());  // the job ended: nobody needs its image
  CHECK(h.offer(corrupt) == subdev::JobOutcome::failed);
  CHECK(h.steps.back() == "-3");
  CHECK(cached().empty());  // unverified bytes are never shared
  CHECK(h.offer(offer_a) == subdev::JobOutcome::installed);
  CHECK(h.host.requests(a) == 2);  // one job after another: downloaded again
  CHECK(read(h.dir.path() / "target" / "image") == read(a.file));
}

TEST_CASE("a file name that escapes the job directory is refused", "[integration][jobs]") {
  JobHarness h;
  const auto image = h.host.add("y.bin", 100);
  const nlohmann::json data = {
      {"version", "4.0.0"},
      {"signMethod", "SHA256"},
      {"files", {{{"fileName", "../../evil"}, {"fileSize", 100}, {"fileUrl", h.host.url(image)},
                  {"fileSign", image.sha256}}}}};
  CHECK(h.offer(data) == subdev::JobOutcome::failed);
  CHECK(h.steps.back() == "-1");
  CHECK(h.host.requests(image) == 0);
  CHECK_FALSE(std::filesystem::exists(h.dir.path() / "evil"));
}

TEST_CASE("an expired URL (403) asks the cloud for a fresh offer of the same package", "[integration][jobs]") {
  JobHarness h;
  otagw::cloudsim::FaultSpec expired;
  expired.status = 403;
  const auto stale = h.host.add("stale.bin", 4000, expired);
  const auto fresh = h.host.add("fresh.bin", 4000);
  // Same bytes under both names would need the same seed; serve the fresh
  // name's bytes and offer its digest for both URLs.
  const nlohmann::json first = {{"version", "5.0.0"}, {"size", 4000}, {"url", h.host.url(stale)},
                                {"signMethod", "SHA256"}, {"sign", fresh.sha256}};
  int requeries = 0;
  subdev::FirmwareJobs::Requery requery =
      [&requeries, &h, &fresh]() -> asio::awaitable<std::optional<subdev::FirmwareOffer>> {
    ++requeries;
    auto offer = subdev::convert_firmware_offer(nlohmann::json{
        {"version", "5.0.0"}, {"size", 4000}, {"url", h.host.url(fresh)}, {"signMethod", "SHA256"}, {"sign", fresh.sha256}});
    if (!offer) co_return std::nullopt;
    co_return std::move(*offer);
  };
  CHECK(h.offer(first, requery) == subdev::JobOutcome::installed);
  CHECK(requeries == 1);
  CHECK(h.host.requests(stale) == 1);
  CHECK(h.host.requests(fresh) == 1);
  CHECK(read(h.dir.path() / "target" / "image") == read(fresh.file));
}

TEST_CASE("a host outside allowed_download_hosts fails the download at once: -2, no retry", "[integration][jobs]") {
  JobHarness h([](subdev::FirmwareJobsOptions& options) {
    options.allowed_download_hosts = {config::parse_host_pattern("localhost").value()};
    options.download_retry_budget = 60s;  // a retried error would keep the job for a minute
  });
  const auto image = h.host.add("z.bin", 2000);
  const nlohmann::json data = {
      {"version", "6.0.0"}, {"size", 2000}, {"url", h.host.url(image)}, {"signMethod", "SHA256"}, {"sign", image.sha256}};
  const auto started = std::chrono::steady_clock::now();
  CHECK(h.offer(data) == subdev::JobOutcome::failed);
  CHECK(std::chrono::steady_clock::now() - started < 10s);
  REQUIRE_FALSE(h.steps.empty());
  CHECK(h.steps.back() == "-2");
  CHECK_THAT(h.descs.back(), Catch::Contains("127.0.0.1"));
  CHECK(h.host.requests(image) == 0);
  CHECK_FALSE(h.flashed());
}

TEST_CASE("a digest mismatch tells the cloud which file, not the digest of what was fetched", "[integration][jobs]") {
  JobHarness h;
  const auto image = h.host.add("w.bin", 3000);
  const nlohmann::json data = {{"version", "7.0.0"}, {"size", 3000}, {"url", h.host.url(image)},
                               {"signMethod", "SHA256"}, {"sign", std::string(64, 'b')}};
  CHECK(h.offer(data) == subdev::JobOutcome::failed);
  REQUIRE_FALSE(h.steps.empty());
  CHECK(h.steps.back() == "-3");
  CHECK_THAT(h.descs.back(), Catch::EndsWith(": SHA256 mismatch", Catch::CaseSensitive::No));
  for (const std::string& desc : h.descs) CHECK(desc.find(image.sha256) == std::string::npos);
  CHECK(h.host.requests(image) == 1);
  CHECK_FALSE(h.flashed());
}
