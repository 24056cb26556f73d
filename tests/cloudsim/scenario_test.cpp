// Scenario loading: defaults, generated devices, and errors that name the key.
#include <catch2/catch.hpp>

#include "tools/cloudsim/name_format.hpp"
#include "tools/cloudsim/scenario_load.hpp"

using namespace otagw::cloudsim;

namespace {

const char* const kGateway = "gateway: {product_key: a1GwProd01, device_name: gw-0001, device_secret: gwsecret}\n";

std::string errors_of(const ScenarioLoad& load) {
  std::string text;
  for (const auto& e : load.errors) text += e.to_string() + "\n";
  return text;
}

}  // namespace

TEST_CASE("a full scenario loads with its defaults", "[unit][cloudsim]") {
  const auto load = parse_scenario(std::string(kGateway) + R"(
devices:
  - product_key: a1SubProd1
    device_name: sub-a
    device_secret: "s-a"
    modules:
      default:
        delay_ms: 5
        firmware: {version: "1.1.0", size: 1024, url: "https://x/fw.bin", signMethod: sha256, sign: "00000000000000000000000000000000000000000000000000000000000000ff", isDiff: 1, extData: {k: v}}
      mcu: {query: no_reply}
  - {product_key: a1SubProd1, device_name: sub-b, device_secret: "s-b", topology: present, login: refuse}
generate:
  - {count: 3, start: 8, product_key: a1SubProd2, name_format: "n-%03d", secret_format: "secret-%d", topology: present}
)");
  INFO(errors_of(load));
  REQUIRE(load.scenario);
  const auto& s = *load.scenario;
  CHECK(s.gateway.product_key == "a1GwProd01");
  CHECK(s.gateway.device_secret.reveal() == "gwsecret");
  CHECK(s.limits.login_per_s == 200);
  CHECK(s.limits.max_batch_login == 50);
  CHECK(s.limits.max_batch_topo == 30);
  REQUIRE(s.devices.size() == 5);
  const auto& a = s.devices[0];
  CHECK_FALSE(a.topology_present);
  CHECK(a.login == LoginMode::accept);
  REQUIRE(a.modules.size() == 2);
  CHECK(a.modules[0].name == "default");
  CHECK(a.modules[0].delay == std::chrono::milliseconds(5));
  REQUIRE(a.modules[0].firmware);
  CHECK(a.modules[0].firmware->size == 1024);
  CHECK(a.modules[0].firmware->is_diff == 1);
  CHECK(a.modules[0].firmware->ext_data == nlohmann::json({{"k", "v"}}));
  CHECK(a.modules[1].query == QueryMode::no_reply);
  CHECK_FALSE(a.modules[1].firmware);
  CHECK(s.devices[1].topology_present);
  CHECK(s.devices[1].login == LoginMode::refuse);
  CHECK(s.devices[2].device_name == "n-008");
  CHECK(s.devices[4].device_name == "n-010");
  CHECK(s.devices[4].device_secret.reveal() == "secret-10");
  CHECK(s.devices[4].topology_present);
}

TEST_CASE("scenario errors name the key and its line", "[unit][cloudsim]") {
  SECTION("unknown key") {
    const auto load = parse_scenario(std::string(kGateway) + "devices:\n  - {product_key: p, device_name: d, device_secret: s, toplogy: present}\n");
    REQUIRE(load.errors.size() == 1);
    CHECK(load.errors[0].path == "devices[0].toplogy");
    CHECK(load.errors[0].line == 3);
    CHECK(load.errors[0].message.find("unknown key") != std::string::npos);
  }
  SECTION("missing gateway") {
    const auto load = parse_scenario("devices: []\n");
    REQUIRE(load.errors.size() == 1);
    CHECK(load.errors[0].path == "gateway");
  }
  SECTION("bad values") {
    const auto load = parse_scenario(std::string(kGateway) + R"(
limits: {max_batch_login: 0}
devices:
  - product_key: p
    device_name: d/1
    device_secret: s
    modules:
      mcu: {query: push}
      "": {firmware: {version: "1", size: 1, url: u, signMethod: SHA256, sign: abc}}
)");
    const auto text = errors_of(load);
    INFO(text);
    CHECK_FALSE(load.scenario);
    CHECK(text.find("limits.max_batch_login (line 3)") != std::string::npos);
    CHECK(text.find("devices[0].device_name") != std::string::npos);
    CHECK(text.find("devices[0].modules.mcu.query") != std::string::npos);
    CHECK(text.find("devices[0].modules.\"\".firmware.sign") != std::string::npos);
  }
  SECTION("duplicate devices") {
    const auto load = parse_scenario(std::string(kGateway) + R"(
devices:
  - {product_key: p, device_name: sub-0001, device_secret: s}
generate:
  - {count: 2, product_key: p, name_format: "sub-%04d", secret_format: "s%d"}
)");
    REQUIRE(load.errors.size() == 1);
    CHECK(load.errors[0].path == "generate[0]");
    CHECK(load.errors[0].message.find("p/sub-0001") != std::string::npos);
  }
  SECTION("a secret is never quoted back") {
    const auto load = parse_scenario(std::string(kGateway) + R"(
generate:
  - {count: 2, product_key: p, name_format: "sub-%04d", secret_format: "topsecret-%s"}
)");
    REQUIRE(load.errors.size() == 1);
    CHECK(load.errors[0].path == "generate[0].secret_format");
    CHECK(load.errors[0].message.find("topsecret") == std::string::npos);
  }
  SECTION("the wording is otagwd's config reader's (config/yaml_map_reader.hpp)") {
    const auto load = parse_scenario(std::string(kGateway) + R"(
devices:
  - product_key: p
    device_name: sub-1
    device_secret: s
    toplogy: present
    login: maybe
    modules:
      "": {delay_ms: "5", query: sometimes}
    params: {a: 1, a: 2}
packages:
  fw: {version: "1", generate: {size: 10}, faults: {ignore_range: yes, drop_times: -1}}
)");
    const auto text = errors_of(load);
    INFO(text);
    CHECK(text.find("devices[0].toplogy (line 7): unknown key, did you mean 'topology'?\n") != std::string::npos);
    CHECK(text.find("devices[0].login (line 8): expected one of accept, refuse, got 'maybe'\n") != std::string::npos);
    CHECK(text.find("devices[0].modules.\"\".delay_ms (line 10): expected an integer, got the quoted string '5'\n") !=
          std::string::npos);
    CHECK(text.find("devices[0].modules.\"\".query (line 10): expected one of reply, no_reply, push, "
                    "got 'sometimes'\n") != std::string::npos);
    CHECK(text.find("devices[0].params.a (line 11): repeated key, first at line 11\n") != std::string::npos);
    CHECK(text.find("packages.fw.faults.ignore_range (line 13): expected true or false, got 'yes'\n") !=
          std::string::npos);
    CHECK(text.find("packages.fw.faults.drop_times (line 13): must be between 0 and 1000000, got -1\n") !=
          std::string::npos);
  }
  SECTION("YAML syntax") {
    const auto load = parse_scenario("gateway: {product_key: [\n");
    REQUIRE(load.errors.size() == 1);
    CHECK(load.errors[0].message.find("YAML") != std::string::npos);
  }
}

TEST_CASE("name formats: one %d with optional zero padding", "[unit][cloudsim]") {
  std::string why;
  auto f = NameFormat::parse("sub-%04d", why);
  REQUIRE(f);
  CHECK(f->format(7) == "sub-0007");
  CHECK(f->format(123456) == "sub-123456");
  f = NameFormat::parse("%d%%x", why);
  REQUIRE(f);
  CHECK(f->format(5) == "5%x");
  f = NameFormat::parse("[%3d]", why);
  REQUIRE(f);
  CHECK(f->format(5) == "[  5]");
  CHECK_FALSE(NameFormat::parse("sub", why));
  CHECK_FALSE(NameFormat::parse("%d-%d", why));
  CHECK_FALSE(NameFormat::parse("%s", why));
  CHECK_FALSE(NameFormat::parse("%100d", why));
  CHECK_FALSE(NameFormat::parse("x%", why));
}

TEST_CASE("the demo scenario under config/examples loads", "[unit][cloudsim]") {
  const auto load = load_scenario(std::filesystem::path(OTAGW_SOURCE_DIR) / "config" / "examples" / "demo-scenario.yaml");
  INFO(errors_of(load));
  REQUIRE(load.scenario);
  CHECK(load.scenario->devices.size() == 6);
}
