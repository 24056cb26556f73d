// Who may read a file holding secrets (issue 12, Deliver 4): a secret file,
// or a config file with inline secrets, that others can read, that a group
// other than the service's can read, or that someone other than root or the
// service's user owns, is refused with the fix in the message.
#include <catch2/catch.hpp>

#include <grp.h>
#include <unistd.h>

#include "config_test_support.hpp"

namespace otagw::config {
namespace {

using test::find_error;
namespace fs = std::filesystem;

const std::string kGatewayHead = "gateway:\n  product_key: a1GwProd01\n  device_name: gw-0001\n";

void set_mode(const fs::path& path, unsigned mode) { fs::permissions(path, static_cast<fs::perms>(mode)); }

LoadResult load_with_secret_file(const test::TempDir& dir, const fs::path& secret) {
  return load_config_string(kGatewayHead + "  device_secret_file: " + secret.string() + "\n", "test.yaml",
                            dir.path());
}

TEST_CASE("a secret file others can read is refused, naming the fix", "[unit]") {
  const test::TempDir dir;
  const fs::path secret = dir.write("gw.secret", "s3cret\n");
  set_mode(secret, 0644);
  const LoadResult result = load_with_secret_file(dir, secret);
  const ConfigError* error = find_error(result, "gateway.device_secret_file");
  REQUIRE(error != nullptr);
  CHECK_FALSE(result.config.has_value());
  CHECK_THAT(error->message, Catch::Contains("others can read or change it (mode 0644)"));
  CHECK_THAT(error->message, Catch::Contains("fix: chown root:"));
  CHECK_THAT(error->message, Catch::Contains("chmod 6"));
  CHECK_THAT(error->message, Catch::Contains(secret.string()));
  CHECK_THAT(error->message, !Catch::Contains("s3cret"));

  set_mode(secret, 0604);  // others may read, even when the group may not
  CHECK(find_error(load_with_secret_file(dir, secret), "gateway.device_secret_file") != nullptr);
}

TEST_CASE("a secret file readable by its owner, or by the process's own group, is taken", "[unit]") {
  const test::TempDir dir;
  const fs::path secret = dir.write("gw.secret", "s3cret\n");
  for (const unsigned mode : {0400U, 0600U, 0640U, 0440U}) {
    INFO("mode " << std::oct << mode);
    set_mode(secret, mode);
    const LoadResult result = load_with_secret_file(dir, secret);
    INFO(test::all_errors(result));
    CHECK(result.config.has_value());
  }
}

TEST_CASE("a secret file another group can read, or someone else owns, is refused", "[unit]") {
  if (::geteuid() != 0) {
    WARN("SKIPPED: changing a file's owner and group needs root (CI runs as root)");
    return;
  }
  const test::TempDir dir;
  const fs::path secret = dir.write("gw.secret", "s3cret\n");
  set_mode(secret, 0640);
  // A group that is neither ours (root) nor the service account's.
  const gid_t other_group = 65534;  // nogroup
  REQUIRE(::chown(secret.c_str(), 0, other_group) == 0);
  const LoadResult group_result = load_with_secret_file(dir, secret);
  const ConfigError* group_error = find_error(group_result, "gateway.device_secret_file");
  REQUIRE(group_error != nullptr);
  CHECK_THAT(group_error->message, Catch::Contains("can read it (mode 0640), not the service's group"));
  set_mode(secret, 0600);  // the group cannot read it: fine
  CHECK(find_error(load_with_secret_file(dir, secret), "gateway.device_secret_file") == nullptr);

  REQUIRE(::chown(secret.c_str(), 65534, 0) == 0);  // nobody
  const LoadResult owner_result = load_with_secret_file(dir, secret);
  const ConfigError* owner_error = find_error(owner_result, "gateway.device_secret_file");
  REQUIRE(owner_error != nullptr);
  CHECK_THAT(owner_error->message, Catch::Contains("neither root nor the service's user"));
}

TEST_CASE("a config file holding inline secrets that others can read is refused once, at its first secret",
          "[unit]") {
  const test::TempDir dir;
  const std::string yaml = kGatewayHead + "  device_secret: g\n" + std::string(test::kCopyPlugin) +
                           "subdevices:\n" + test::subdevice_item("sub-0000") + test::subdevice_item("sub-0001");
  const fs::path file = dir.write("gateway.yaml", yaml);
  set_mode(file, 0644);
  const LoadResult result = load_config_file(file);
  INFO(test::all_errors(result));
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].key_path == "gateway.device_secret");
  CHECK(result.errors[0].line == 4);
  CHECK_THAT(result.errors[0].message, Catch::StartsWith("this file holds secrets, but others can read"));
  CHECK_THAT(result.errors[0].message, Catch::Contains("chmod"));

  set_mode(file, 0600);
  CHECK(load_config_file(file).config.has_value());
}

TEST_CASE("a subdevices_dir file holding inline secrets is checked too, a config without secrets is not", "[unit]") {
  const test::TempDir dir;
  const fs::path secret = dir.write("gw.secret", "g\n");
  const fs::path sub = dir.write("sub.d/10-a.yaml", test::subdevice_item("sub-0000", "copy", ""));
  set_mode(sub, 0644);
  const fs::path file = dir.write("gateway.yaml", kGatewayHead + "  device_secret_file: gw.secret\n" +
                                                      std::string(test::kCopyPlugin) + "subdevices_dir: sub.d\n");
  set_mode(file, 0644);  // holds no secret: anyone may read it
  const LoadResult result = load_config_file(file);
  INFO(test::all_errors(result));
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].file == sub);
  CHECK(result.errors[0].key_path == "[0].device_secret");

  set_mode(sub, 0600);
  CHECK(load_config_file(file).config.has_value());
}

}  // namespace
}  // namespace otagw::config
