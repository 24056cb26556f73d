// The fields of a journal entry as otagwd's journal sink builds them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "daemon/journal_sink.hpp"

using otagw::daemon::journal_fields;
using otagw::daemon::syslog_priority;

namespace {

bool has(const std::vector<std::string>& fields, const std::string& field) {
  return std::find(fields.begin(), fields.end(), field) != fields.end();
}

bool has_name(const std::vector<std::string>& fields, const std::string& name) {
  return std::any_of(fields.begin(), fields.end(), [&](const std::string& f) { return f.starts_with(name + "="); });
}

}  // namespace

TEST_CASE("a line about no device: message, priority and identifier only", "[unit]") {
  const auto fields = journal_fields("MQTT: connected to 127.0.0.1:1883", spdlog::level::info, nullptr);
  CHECK(fields == std::vector<std::string>{"MESSAGE=MQTT: connected to 127.0.0.1:1883", "PRIORITY=6",
                                           "SYSLOG_IDENTIFIER=otagwd"});
}

TEST_CASE("a line about a device carries OTAGW_DEVICE and the target version", "[unit]") {
  const otagw::device_log::Fields device{"a1Xx/sub-0001", "2.0.0"};
  const auto fields =
      journal_fields("sub-device a1Xx/sub-0001: flashing 2.0.0 with plugin 'rec'", spdlog::level::warn, &device);
  CHECK(fields == std::vector<std::string>{"MESSAGE=sub-device a1Xx/sub-0001: flashing 2.0.0 with plugin 'rec'",
                                           "PRIORITY=4", "SYSLOG_IDENTIFIER=otagwd", "OTAGW_DEVICE=a1Xx/sub-0001",
                                           "OTAGW_TARGET_VERSION=2.0.0"});
}

TEST_CASE("no OTAGW_TARGET_VERSION without a version, no OTAGW_DEVICE without a device", "[unit]") {
  const otagw::device_log::Fields no_version{"a1Xx/sub-0001", ""};
  const auto device_only = journal_fields("sub-device a1Xx/sub-0001: visiting", spdlog::level::debug, &no_version);
  CHECK(has(device_only, "OTAGW_DEVICE=a1Xx/sub-0001"));
  CHECK_FALSE(has_name(device_only, "OTAGW_TARGET_VERSION"));
  CHECK(has(device_only, "PRIORITY=7"));

  const otagw::device_log::Fields nobody{"", "2.0.0"};
  const auto none = journal_fields("text", spdlog::level::info, &nobody);
  CHECK_FALSE(has_name(none, "OTAGW_DEVICE"));
  CHECK_FALSE(has_name(none, "OTAGW_TARGET_VERSION"));
}

TEST_CASE("field values from the cloud become one printable line, the message stays as logged", "[unit]") {
  // A device named by a cloud topic is not validated like the config's.
  using namespace std::string_literals;
  const std::string hostile_device = "a1Xx/dev\nOTAGW_DEVICE=other\0x\x1b[2J"s;
  const std::string hostile_version = "1.0\n<3>"s;
  const otagw::device_log::Fields device{hostile_device, hostile_version};
  const std::string message = "two\nlines";
  const auto fields = journal_fields(message, spdlog::level::err, &device);
  CHECK(has(fields, "MESSAGE=two\nlines"));  // sd_journal_sendv sends it in its binary-safe form
  CHECK(has(fields, "PRIORITY=3"));
  CHECK(has(fields, R"(OTAGW_DEVICE=a1Xx/dev\nOTAGW_DEVICE=other\x00x\x1b[2J)"));
  CHECK(has(fields, R"(OTAGW_TARGET_VERSION=1.0\n<3>)"));
  for (const std::string& field : fields) {
    if (field.starts_with("MESSAGE=")) continue;
    INFO(field);
    CHECK(std::none_of(field.begin(), field.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }));
  }
}

TEST_CASE("syslog priorities of spdlog's levels", "[unit]") {
  CHECK(syslog_priority(spdlog::level::trace) == 7);
  CHECK(syslog_priority(spdlog::level::debug) == 7);
  CHECK(syslog_priority(spdlog::level::info) == 6);
  CHECK(syslog_priority(spdlog::level::warn) == 4);
  CHECK(syslog_priority(spdlog::level::err) == 3);
  CHECK(syslog_priority(spdlog::level::critical) == 2);
}
