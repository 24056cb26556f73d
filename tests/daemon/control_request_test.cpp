// The control socket's request parser (docs/control.md): every error code a
// line can earn, ids echoed, device names in both spellings.
#include <catch2/catch.hpp>

#include <string>

#include "daemon/control/control_request.hpp"

using otagw::daemon::ControlCommand;
using otagw::daemon::parse_control_request;

namespace {

std::string code_of(const std::string& line) {
  const auto parsed = parse_control_request(line);
  return parsed ? "ok" : parsed.error().code;
}

}  // namespace

TEST_CASE("each command parses, with its id", "[unit][control]") {
  auto status = parse_control_request(R"({"v":1,"cmd":"status","id":"a-1"})");
  REQUIRE(status);
  CHECK(status->command == ControlCommand::status);
  CHECK(std::get<std::string>(status->id) == "a-1");
  auto watch = parse_control_request(R"({"v":1,"cmd":"watch","id":7})");
  REQUIRE(watch);
  CHECK(watch->command == ControlCommand::watch);
  CHECK(std::get<std::int64_t>(watch->id) == 7);
  CHECK(parse_control_request(R"({"v":1,"cmd":"sweep"})")->command == ControlCommand::sweep);
  CHECK(parse_control_request(R"({"v":1,"cmd":"reload"})")->command == ControlCommand::reload);
  auto check = parse_control_request(R"({"v":1,"cmd":"check","device":"a1SubProd1/sub.0001"})");
  REQUIRE(check);
  CHECK(check->product_key == "a1SubProd1");
  CHECK(check->device_name == "sub.0001");
  auto dotted = parse_control_request(R"({"v":1,"cmd":"check","device":"a1SubProd1.sub.0001"})");
  REQUIRE(dotted);
  CHECK(dotted->product_key == "a1SubProd1");
  CHECK(dotted->device_name == "sub.0001");
}

TEST_CASE("bad request lines get the documented error codes", "[unit][control]") {
  CHECK(code_of("") == "bad_json");
  CHECK(code_of("status") == "bad_json");
  CHECK(code_of("[1,2]") == "bad_json");
  CHECK(code_of(R"({"v":1,"cmd":"status")") == "bad_json");
  CHECK(code_of(std::string(5000, '[')) == "line_too_long");
  CHECK(code_of(std::string(4000, '[')) == "bad_json");  // deep nesting: refused, not recursed
  CHECK(code_of(R"({"cmd":"status"})") == "bad_request");
  CHECK(code_of(R"({"v":2,"cmd":"status"})") == "unsupported_version");
  CHECK(code_of(R"({"v":"1","cmd":"status"})") == "unsupported_version");
  CHECK(code_of(R"({"v":1})") == "bad_request");
  CHECK(code_of(R"({"v":1,"cmd":5})") == "bad_request");
  CHECK(code_of(R"({"v":1,"cmd":"reboot"})") == "unknown_command");
  CHECK(code_of(R"({"v":1,"cmd":"status","extra":1})") == "bad_request");
  CHECK(code_of(R"({"v":1,"cmd":"status","device":"a/b"})") == "bad_request");  // only check takes a device
  CHECK(code_of(R"({"v":1,"cmd":"check"})") == "bad_request");
  CHECK(code_of(R"({"v":1,"cmd":"check","device":7})") == "bad_request");
  CHECK(code_of(R"({"v":1,"cmd":"check","device":"nodevice"})") == "unknown_device");
  CHECK(code_of(R"({"v":1,"cmd":"check","device":"a1+b/dev-1"})") == "unknown_device");
  CHECK(code_of(R"({"v":1,"cmd":"check","device":"a1/dev 1"})") == "unknown_device");
  CHECK(code_of(R"({"v":1,"cmd":"status","id":{"x":1}})") == "bad_request");
  CHECK(code_of(R"({"v":1,"cmd":"status","id":")" + std::string(65, 'x') + "\"}") == "bad_request");
}

TEST_CASE("an error carries the id and the command when the request had them", "[unit][control]") {
  const auto unknown = parse_control_request(R"({"v":1,"cmd":"check","device":"x","id":"q"})");
  REQUIRE_FALSE(unknown);
  CHECK(std::get<std::string>(unknown.error().id) == "q");
  REQUIRE(unknown.error().command);
  CHECK(*unknown.error().command == ControlCommand::check);
  const auto version = parse_control_request(R"({"v":3,"cmd":"sweep","id":4})");
  REQUIRE_FALSE(version);
  CHECK(std::get<std::int64_t>(version.error().id) == 4);
}
