// --config FILE: only control.socket is read, resolved like config/ resolves paths.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/support/temp_dir.hpp"
#include "tools/otagwctl/socket_path.hpp"

namespace {

using otagw::ctl::socket_from_config;
using otagw::test_support::TempDir;

std::filesystem::path write(const TempDir& dir, const std::string& name, const std::string& text) {
  const auto path = dir.path() / name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("A config file: control.socket alone is read, the rest of the file may be anything", "[unit]") {
  TempDir dir("otagwctl-config");
  const auto file = write(dir, "gateway.yaml",
                          "gateway: {product_key: nonsense, device_secret_file: /nowhere}\n"
                          "unknown_section: 1\n"
                          "control: {socket: run/ctl.sock}\n");
  auto path = socket_from_config(file);
  REQUIRE(path);
  CHECK(*path == dir.path() / "run/ctl.sock");

  auto absolute = socket_from_config(write(dir, "abs.yaml", "control:\n  socket: /tmp/x/../y.sock\n"));
  REQUIRE(absolute);
  CHECK(*absolute == "/tmp/y.sock");
}

TEST_CASE("A config file: without control or control.socket the default socket", "[unit]") {
  TempDir dir("otagwctl-config");
  for (const char* text : {"", "gateway: {}\n", "control: {}\n", "control:\n", "control: {socket: null}\n"}) {
    auto path = socket_from_config(write(dir, "g.yaml", text));
    REQUIRE(path);
    CHECK(*path == otagw::ctl::kDefaultSocket);
  }
}

TEST_CASE("A config file: an unreadable file, bad YAML, a mistyped or empty socket are errors that say so", "[unit]") {
  TempDir dir("otagwctl-config");
  auto missing = socket_from_config(dir.path() / "none.yaml");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find("cannot read") != std::string::npos);
  CHECK_FALSE(socket_from_config(dir.path()));

  auto broken = socket_from_config(write(dir, "broken.yaml", "control: [\n"));
  REQUIRE_FALSE(broken);
  CHECK(broken.error().find("not valid YAML") != std::string::npos);

  CHECK_FALSE(socket_from_config(write(dir, "list.yaml", "- a\n- b\n")));
  CHECK_FALSE(socket_from_config(write(dir, "map.yaml", "control: {socket: [a, b]}\n")));
  CHECK_FALSE(socket_from_config(write(dir, "scalar.yaml", "control: 5\n")));

  auto off = socket_from_config(write(dir, "off.yaml", "\ncontrol:\n  socket: \"\"\n"));
  REQUIRE_FALSE(off);
  CHECK(off.error().find("off.yaml:3: control.socket is empty") != std::string::npos);
}
