// device_log: the device's fields reach the sinks for exactly the one record
// logged through it, and the text is what the plain spdlog call writes.
#include <catch2/catch.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "transports/device_log.hpp"

namespace {

struct Seen {
  std::string text;
  spdlog::level::level_enum level;
  std::optional<std::string> device;  // nullopt: no fields during the record
  std::string target_version;
};

// Keeps what a sink sees of each record, device_log::current() included.
class RecordingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<Seen> seen;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    Seen s{std::string(msg.payload.data(), msg.payload.size()), msg.level, std::nullopt, {}};
    if (const auto* fields = otagw::device_log::current(); fields != nullptr) {
      s.device = std::string(fields->device);
      s.target_version = std::string(fields->target_version);
    }
    seen.push_back(std::move(s));
  }
  void flush_() override {}
};

// Makes a recording logger the default for the test's life.
struct RecordingLogger {
  std::shared_ptr<RecordingSink> sink = std::make_shared<RecordingSink>();
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  RecordingLogger() {
    auto logger = std::make_shared<spdlog::logger>("device-log-test", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(std::move(logger));
  }
  ~RecordingLogger() { spdlog::set_default_logger(previous); }
  RecordingLogger(const RecordingLogger&) = delete;
  RecordingLogger& operator=(const RecordingLogger&) = delete;
};

struct LogsWhenFormatted {};

}  // namespace

template <>
struct fmt::formatter<LogsWhenFormatted> : fmt::formatter<std::string_view> {
  template <typename Context>
  auto format(const LogsWhenFormatted&, Context& context) const {
    otagw::device_log::info("a1Xx/inner", "", "inner");
    return fmt::formatter<std::string_view>::format("argument", context);
  }
};

TEST_CASE("device_log sets the device's fields for its own record only", "[unit]") {
  RecordingLogger log;
  const std::string device = "a1Xx/sub-0001";
  otagw::device_log::info(device, "2.0.0", "sub-device {}: flashing {} with plugin '{}'", device, "2.0.0", "copy");
  spdlog::info("sweep done in {:.3f} s", 1.5);
  otagw::device_log::warn("a1Xx/sub-0002", "", "sub-device {}: query failed: {}", "a1Xx/sub-0002", "timed out");
  otagw::device_log::debug("a1Xx/sub-0003", "1.1", "debug {}", 1);
  otagw::device_log::error("a1Xx/sub-0003", "1.1", "error {}", 2);
  otagw::device_log::log(spdlog::level::info, "a1Xx/sub-0003", "", "plain {}", "line");

  CHECK(otagw::device_log::current() == nullptr);
  REQUIRE(log.sink->seen.size() == 6);
  const auto& flashing = log.sink->seen[0];
  CHECK(flashing.text == "sub-device a1Xx/sub-0001: flashing 2.0.0 with plugin 'copy'");  // as spdlog::info writes it
  CHECK(flashing.level == spdlog::level::info);
  CHECK(flashing.device == "a1Xx/sub-0001");
  CHECK(flashing.target_version == "2.0.0");

  CHECK(log.sink->seen[1].text == "sweep done in 1.500 s");
  CHECK_FALSE(log.sink->seen[1].device);  // a line about no device carries none

  CHECK(log.sink->seen[2].level == spdlog::level::warn);
  CHECK(log.sink->seen[2].device == "a1Xx/sub-0002");
  CHECK(log.sink->seen[2].target_version.empty());
  CHECK(log.sink->seen[3].level == spdlog::level::debug);
  CHECK(log.sink->seen[4].level == spdlog::level::err);
  CHECK(log.sink->seen[4].target_version == "1.1");
  CHECK(log.sink->seen[5].text == "plain line");
  CHECK(log.sink->seen[5].device == "a1Xx/sub-0003");
}

TEST_CASE("device_log restores the outer fields after a record logged while formatting", "[unit]") {
  // The argument logs while spdlog formats the outer record (as an error path
  // may): the inner record has its own fields, the outer one its own again.
  RecordingLogger log;
  otagw::device_log::info("a1Xx/outer", "3.0", "outer {}", LogsWhenFormatted{});
  REQUIRE(log.sink->seen.size() == 2);
  CHECK(log.sink->seen[0].text == "inner");
  CHECK(log.sink->seen[0].device == "a1Xx/inner");
  CHECK(log.sink->seen[0].target_version.empty());
  CHECK(log.sink->seen[1].text == "outer argument");
  CHECK(log.sink->seen[1].device == "a1Xx/outer");
  CHECK(log.sink->seen[1].target_version == "3.0");
  CHECK(otagw::device_log::current() == nullptr);
}

TEST_CASE("device_log below the logger's level reaches no sink and leaves no fields", "[unit]") {
  RecordingLogger log;
  spdlog::default_logger()->set_level(spdlog::level::info);
  otagw::device_log::debug("a1Xx/sub-0001", "2.0.0", "not logged");
  CHECK(log.sink->seen.empty());
  CHECK(otagw::device_log::current() == nullptr);
}
