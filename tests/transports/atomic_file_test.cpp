// write_file_atomically: the new contents or the old, never a mix; the mode is
// exactly the one asked for, whatever the umask or a stale temp file says.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "tests/support/temp_dir.hpp"
#include "transports/atomic_file.hpp"

using otagw::transports::write_file_atomically;

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

mode_t mode_of(const std::filesystem::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("write_file_atomically replaces the file and leaves no temp file", "[unit]") {
  otagw::test_support::TempDir dir("otagw-atomic");
  const auto file = dir.path() / "state.json";
  REQUIRE_FALSE(write_file_atomically(file, "first\n"));
  CHECK(read_file(file) == "first\n");
  CHECK(mode_of(file) == 0600);
  REQUIRE_FALSE(write_file_atomically(file, "second\n"));
  CHECK(read_file(file) == "second\n");
  CHECK_FALSE(std::filesystem::exists(dir.path() / "state.json.tmp"));
}

TEST_CASE("write_file_atomically sets the mode asked for, exactly", "[unit]") {
  otagw::test_support::TempDir dir("otagw-atomic");
  const auto report = dir.path() / "report.json";
  const mode_t old_umask = ::umask(077);
  const auto ec = write_file_atomically(report, "{}\n", 0644);
  ::umask(old_umask);
  REQUIRE_FALSE(ec);
  CHECK(mode_of(report) == 0644);

  // A temp file left by a crash, readable by all: the secret must not inherit that.
  const auto secret = dir.path() / "gateway.yaml";
  std::ofstream(dir.path() / "gateway.yaml.tmp") << "stale";
  std::filesystem::permissions(dir.path() / "gateway.yaml.tmp", std::filesystem::perms(0666));
  REQUIRE_FALSE(write_file_atomically(secret, "device_secret: x\n", 0600));
  CHECK(mode_of(secret) == 0600);
  CHECK(read_file(secret) == "device_secret: x\n");
}

TEST_CASE("write_file_atomically reports a directory that is not there", "[unit]") {
  otagw::test_support::TempDir dir("otagw-atomic");
  const auto ec = write_file_atomically(dir.path() / "missing" / "f", "x");
  CHECK(ec == std::errc::no_such_file_or_directory);
}
