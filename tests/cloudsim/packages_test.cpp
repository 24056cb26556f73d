// The simulator's own firmware server, through the real binary: packages
// offered by the platform (query and push), downloaded with libcurl over
// HTTPS (the simulator's CA) and HTTP, Range requests, a dropped connection,
// an HTTP status, a wrong digest, and the digests computed here with OpenSSL
// from bytes generated here independently.
#include <catch2/catch.hpp>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/cloudsim/gateway_client.hpp"
#include "tests/cloudsim/requests.hpp"
#include "tests/cloudsim/sim_process.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/mosquitto_broker.hpp"
#include "tests/support/run_with_timeout.hpp"
#include "tests/support/temp_dir.hpp"
#include "tools/cloudsim/package_host.hpp"
#include "tools/pki/local_pki.hpp"

using namespace otagw;
using namespace otagw::cloudsim_test;
using namespace std::chrono_literals;
using nlohmann::json;
using otagw::test_support::run_with_timeout;

namespace {


const std::string kScenario = R"(
gateway: {product_key: a1GwProd01, device_name: gw-0001, device_secret: "gwSecret0123456789abcdef"}
packages:
  big-sha: {version: "2.0.0", generate: {size: 300000, seed: 7}, extData: {k: v}, isDiff: 1}
  small-md5: {version: "1.5.0", generate: {size: 4099, seed: 1}, signMethod: Md5, scheme: http, module: mcu}
  from-file: {version: "3.0.0", file: image.bin, signMethod: MD5, scheme: http}
  dropping: {version: "4.0.0", generate: {size: 50000, seed: 2}, scheme: http, faults: {drop_at_byte: 1000, drop_times: 1}}
  lying: {version: "5.0.0", generate: {size: 2000, seed: 3}, faults: {wrong_digest: true}}
  failing: {version: "6.0.0", generate: {size: 2000, seed: 4}, scheme: http, faults: {status: 500}}
devices:
  - product_key: a1SubProd1
    device_name: dev-a
    device_secret: s-a
    topology: present
    modules:
      default: {package: big-sha}
      mcu: {package: small-md5}
  - {product_key: a1SubProd1, device_name: dev-b, device_secret: s-b, topology: present, modules: {default: {package: from-file}}}
  - {product_key: a1SubProd1, device_name: dev-c, device_secret: s-c, topology: present, modules: {default: {package: dropping}}}
  - {product_key: a1SubProd1, device_name: dev-d, device_secret: s-d, topology: present, modules: {default: {package: lying}}}
  - {product_key: a1SubProd1, device_name: dev-e, device_secret: s-e, topology: present,
     modules: {default: {package: failing, query: push}}}
expect:
  - {device: dev-a, version: "2.0.0"}
)";

// The generator's documented sequence (docs/simulator.md), written again here.
std::string splitmix_bytes(std::size_t size, std::uint64_t seed) {
  std::string bytes;
  std::uint64_t state = seed;
  while (bytes.size() < size) {
    state += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    for (int b = 0; b < 8 && bytes.size() < size; ++b) bytes += static_cast<char>((z >> (8 * b)) & 0xff);
  }
  return bytes;
}

std::string digest_hex(const std::string& data, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  REQUIRE(EVP_Digest(data.data(), data.size(), out, &length, md, nullptr) == 1);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < length; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 0xf];
  }
  return hex;
}

struct HttpResult {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::string headers;
};

std::size_t collect(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

HttpResult http_get(const std::string& url, const std::string& ca_file, const std::string& range = {}) {
  HttpResult result;
  CURL* curl = curl_easy_init();
  REQUIRE(curl != nullptr);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (!range.empty()) curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
  result.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  curl_easy_cleanup(curl);
  return result;
}


// The auth plugin with the gateway's line and the simulator's platform login.
test_support::BrokerOptions broker_with_gateway() {
  test_support::BrokerOptions options;
  options.auth = true;
  options.devices.push_back({kGwPk, kGwDn, kGwSecret});
  options.platform_username = "platform";
  options.platform_password = "platform-secret";
  return options;
}

// Logs the devices in over the connected gateway; each one's secret is
// "s-" and what follows "dev-" in its name.
asio::awaitable<void> log_in(GatewayClient& gw, const std::vector<std::string>& names) {
  json devices = json::array();
  for (const auto& dn : names) devices.push_back(subdevice_entry(kPk, dn, "s-" + dn.substr(4), false));
  const json login = login_request("1", devices);
  const std::string login_topic = session_topic("batch_login");
  const auto logged_in = co_await gw.request(login_topic, login);
  REQUIRE(logged_in);
  REQUIRE((*logged_in)["code"] == 200);
}

// Each device's default-module query, and the data of its reply into `offers`.
asio::awaitable<void> query_each(GatewayClient& gw, const std::vector<std::string>& names,
                                 std::map<std::string, json>& offers) {
  for (const auto& dn : names) {
    const std::string topic = get_topic(kPk, dn);
    const json request = query("q-" + dn);
    const auto reply = co_await gw.request(topic, request);
    REQUIRE(reply);
    offers[dn] = (*reply)["data"];
  }
}

}  // namespace

TEST_CASE("packages are served over HTTPS and HTTP with Range, faults and correct digests", "[integration][cloudsim]") {
  test_support::TempDir dir("otagw-cloudsim-packages");
  const std::string file_bytes = splitmix_bytes(777, 99) + "the end";
  std::ofstream(dir.path() / "image.bin", std::ios::binary) << file_bytes;
  std::ofstream(dir.path() / "scenario.yaml") << kScenario;

  test_support::MosquittoBroker broker(broker_with_gateway());
  SimProcess sim({"serve", "--scenario", (dir.path() / "scenario.yaml").string(), "--broker-port",
                  std::to_string(broker.port()), "--username", "platform", "--password", "platform-secret",
                  "--report", (dir.path() / "report.json").string(), "--work-dir", (dir.path() / "work").string()},
                 dir.path() / "sim.err");
  const bool ready = sim.wait_for_line("ready", 10s);
  INFO(sim.stderr_text());
  REQUIRE(ready);
  const std::string ca_file = (dir.path() / "work" / "ca.pem").string();
  CHECK(sim.read_all_stdout(0ms).find("firmware-ca " + ca_file + "\n") != std::string::npos);

  asio::io_context io;
  asio::thread_pool pool(1);
  GatewayClient gw(io, pool.get_executor(), broker.port(), kGwPk, kGwDn, kGwSecret);
  std::map<std::string, json> offers;
  std::optional<json> after_install;
  std::optional<json> pushed;
  const std::vector<std::string> all_devices = {"dev-a", "dev-b", "dev-c", "dev-d", "dev-e"};
  const std::vector<std::string> queried = {"dev-a", "dev-b", "dev-c", "dev-d"};
  run_with_timeout(io, [&]() -> asio::awaitable<void> {
    const std::string upgrade = "/ota/device/upgrade/" + kPk + "/dev-e";
    const std::vector<std::string> subscriptions =
        topics(session_topic("batch_login_reply"), "/sys/" + kPk + "/+/thing/ota/firmware/get_reply", upgrade);
    co_await gw.connect(subscriptions);
    co_await log_in(gw, all_devices);
    co_await query_each(gw, queried, offers);
    const std::string dev_a = get_topic(kPk, "dev-a");
    const json mcu_query = query("q-mcu", "mcu");
    const auto mcu = co_await gw.request(dev_a, mcu_query);
    REQUIRE(mcu);
    offers["dev-a/mcu"] = (*mcu)["data"];
    const std::string dev_e = get_topic(kPk, "dev-e");
    const std::string e_query = query("q-e").dump();
    co_await gw.publish(dev_e, e_query);
    const auto push = co_await gw.next_on(upgrade, 3s);
    REQUIRE(push);
    pushed = json::parse(push->payload);
    // Once dev-a reports the package's version, nothing is offered any more.
    const std::string inform_topic = "/ota/device/inform/" + kPk + "/dev-a";
    const std::string inform = R"({"id":"9","params":{"version":"2.0.0"}})";
    co_await gw.publish(inform_topic, inform);
    const json again = query("q-again");
    after_install = co_await gw.request(dev_a, again);
    gw.session().stop();
  }());
  pool.stop();
  pool.join();

  // HTTPS, SHA-256 (the default), generated bytes.
  const auto& big = offers["dev-a"];
  CHECK(big["version"] == "2.0.0");
  CHECK(big["size"] == 300000);
  CHECK(big["signMethod"] == "SHA256");
  CHECK_FALSE(big.contains("md5"));
  CHECK(big["isDiff"] == 1);
  CHECK(big["extData"] == json({{"k", "v"}}));
  const std::string big_url = big["url"];
  CHECK(big_url.starts_with("https://127.0.0.1:"));
  const std::string big_bytes = splitmix_bytes(300000, 7);
  const auto whole = http_get(big_url, ca_file);
  CHECK(whole.code == CURLE_OK);
  CHECK(whole.status == 200);
  CHECK(whole.body == big_bytes);
  CHECK(big["sign"] == digest_hex(big_bytes, EVP_sha256()));
  // Range: the rest of the file, 206 with Content-Range.
  const auto rest = http_get(big_url, ca_file, "1000-");
  CHECK(rest.status == 206);
  CHECK(rest.body == big_bytes.substr(1000));
  CHECK(rest.headers.find("Content-Range: bytes 1000-299999/300000") != std::string::npos);

  // HTTP, MD5, a module's package.
  const auto& small = offers["dev-a/mcu"];
  CHECK(small["module"] == "mcu");
  CHECK(small["signMethod"] == "Md5");
  CHECK(small["md5"] == small["sign"]);
  CHECK(std::string(small["url"]).starts_with("http://127.0.0.1:"));
  const auto small_body = http_get(small["url"], ca_file);
  CHECK(small_body.body == splitmix_bytes(4099, 1));
  CHECK(small["sign"] == digest_hex(small_body.body, EVP_md5()));

  // A package from a file next to the scenario.
  const auto& from_file = offers["dev-b"];
  CHECK(from_file["size"] == file_bytes.size());
  CHECK(from_file["sign"] == digest_hex(file_bytes, EVP_md5()));
  CHECK(http_get(from_file["url"], ca_file).body == file_bytes);

  // The connection drops at byte 1000 once; a resumed request gets the rest.
  const auto& dropping = offers["dev-c"];
  const auto cut = http_get(dropping["url"], ca_file);
  CHECK(cut.code == CURLE_PARTIAL_FILE);
  CHECK(cut.body.size() == 1000);
  const auto resumed = http_get(dropping["url"], ca_file, "1000-");
  CHECK(resumed.status == 206);
  CHECK(dropping["sign"] == digest_hex(cut.body + resumed.body, EVP_sha256()));

  // A wrong digest is offered: a valid SHA-256 that is not the file's.
  const auto& lying = offers["dev-d"];
  const auto lying_body = http_get(lying["url"], ca_file);
  CHECK(lying_body.body == splitmix_bytes(2000, 3));
  CHECK(std::string(lying["sign"]).size() == 64);
  CHECK(lying["sign"] != digest_hex(lying_body.body, EVP_sha256()));

  // Pushed, and the server answers 500.
  REQUIRE(pushed);
  CHECK((*pushed)["code"] == "1000");
  CHECK((*pushed)["data"]["version"] == "6.0.0");
  CHECK(http_get((*pushed)["data"]["url"], ca_file).status == 500);

  REQUIRE(after_install);
  CHECK((*after_install)["data"] == json::object());

  CHECK(sim.signal_and_wait(SIGTERM, 10s) == 0);
  std::ifstream in(dir.path() / "report.json");
  const auto report = json::parse(in);
  CHECK(report["devices"][0]["result"] == "upgraded");
  CHECK(report["devices"][0]["version"] == "2.0.0");
  CHECK(report["expectations_met"] == true);
}

TEST_CASE("serve exits 3 when an expectation of the scenario is not met", "[integration][cloudsim]") {
  test_support::TempDir dir("otagw-cloudsim-expect");
  std::ofstream(dir.path() / "scenario.yaml")
      << "gateway: {product_key: a1GwProd01, device_name: gw-0001, device_secret: gws}\n"
         "devices: [{product_key: p, device_name: dddd, device_secret: s}]\n"
         "expect: [{device: dddd, version: \"2.0.0\"}]\n";
  test_support::BrokerOptions options;
  options.auth = true;
  options.platform_username = "platform";
  options.platform_password = "platform-secret";
  test_support::MosquittoBroker broker(options);
  SimProcess sim({"serve", "--scenario", (dir.path() / "scenario.yaml").string(), "--broker-port",
                  std::to_string(broker.port()), "--username", "platform", "--password", "platform-secret"},
                 dir.path() / "sim.err");
  REQUIRE(sim.wait_for_line("ready", 10s));
  CHECK(sim.signal_and_wait(SIGTERM, 10s) == 3);
  CHECK(sim.stderr_text().find("expectation not met: dddd") != std::string::npos);
}

TEST_CASE("offer URLs leave out the scheme's default port only", "[unit][cloudsim]") {
  const std::string http80 = cloudsim::offer_url(false, "192.168.1.10", 80, "/fw/a.bin");
  CHECK(http80.starts_with("http://192.168.1.10/fw/a.bin?Expires="));
  CHECK(cloudsim::offer_url(true, "127.0.0.1", 443, "/fw/a.bin").starts_with("https://127.0.0.1/fw/a.bin?"));
  CHECK(cloudsim::offer_url(true, "127.0.0.1", 80, "/fw/a.bin").starts_with("https://127.0.0.1:80/fw/a.bin?"));
  CHECK(cloudsim::offer_url(false, "127.0.0.1", 443, "/fw/a.bin").starts_with("http://127.0.0.1:443/fw/a.bin?"));
  CHECK(cloudsim::offer_url(false, "10.0.0.2", 8080, "/fw/a.bin").starts_with("http://10.0.0.2:8080/fw/a.bin?"));
}

TEST_CASE("the firmware server's certificate names the extra address only when given one", "[unit][cloudsim]") {
  test_support::TempDir dir("otagw-cloudsim-pki");
  const auto names_of = [](const std::string& cert_file) {
    std::FILE* f = std::fopen(cert_file.c_str(), "rb");
    REQUIRE(f != nullptr);
    X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    REQUIRE(cert != nullptr);
    std::vector<bool> matches = {X509_check_ip_asc(cert, "127.0.0.1", 0) == 1,
                                 X509_check_host(cert, "localhost", 0, 0, nullptr) == 1,
                                 X509_check_ip_asc(cert, "192.168.7.20", 0) == 1};
    X509_free(cert);
    return matches;
  };
  std::filesystem::create_directories(dir.path() / "plain");
  std::filesystem::create_directories(dir.path() / "lan");
  CHECK(names_of(pki::make_local_pki(dir.path() / "plain").server_cert) == std::vector<bool>{true, true, false});
  CHECK(names_of(pki::make_local_pki(dir.path() / "lan", "192.168.7.20").server_cert) ==
        std::vector<bool>{true, true, true});
}

TEST_CASE("serve: the firmware server on the ports and address given, named in the offers", "[integration][cloudsim]") {
  test_support::TempDir dir("otagw-cloudsim-ports");
  std::ofstream(dir.path() / "scenario.yaml")
      << "gateway: {product_key: a1GwProd01, device_name: gw-0001, device_secret: \"gwSecret0123456789abcdef\"}\n"
         "packages:\n"
         "  plain: {version: \"2.0.0\", generate: {size: 3000, seed: 5}, scheme: http, signMethod: Md5}\n"
         "  secure: {version: \"3.0.0\", generate: {size: 5000, seed: 6}}\n"
         "devices:\n"
         "  - {product_key: a1SubProd1, device_name: dev-p, device_secret: s-p, topology: present,"
         " modules: {default: {package: plain}}}\n"
         "  - {product_key: a1SubProd1, device_name: dev-s, device_secret: s-s, topology: present,"
         " modules: {default: {package: secure}}}\n";
  test_support::MosquittoBroker broker(broker_with_gateway());
  // Free ports are only likely to stay free (parallel tests pick them too):
  // another pair when one was taken meanwhile.
  std::uint16_t http_port = 0;
  std::uint16_t https_port = 0;
  std::vector<std::string> serve;
  std::optional<SimProcess> sim;
  for (int attempt = 0; attempt < 3; ++attempt) {
    http_port = test_support::free_loopback_port();
    do {
      https_port = test_support::free_loopback_port();
    } while (https_port == http_port);
    serve = {"serve", "--scenario", (dir.path() / "scenario.yaml").string(), "--broker-port",
             std::to_string(broker.port()), "--username", "platform", "--password", "platform-secret",
             "--firmware-host", "127.0.0.1", "--http-port", std::to_string(http_port), "--https-port",
             std::to_string(https_port), "--work-dir", (dir.path() / "work").string()};
    sim.emplace(serve, dir.path() / "sim.err");
    if (sim->wait_for_line("ready", 10s) || sim->stderr_text().find("in use") == std::string::npos) break;
  }
  const bool ready = sim->wait_for_line("ready", 0ms);
  INFO(sim->stderr_text());
  REQUIRE(ready);

  asio::io_context io;
  asio::thread_pool pool(1);
  GatewayClient gw(io, pool.get_executor(), broker.port(), kGwPk, kGwDn, kGwSecret);
  std::map<std::string, json> offers;
  const std::vector<std::string> queried = {"dev-p", "dev-s"};
  run_with_timeout(io, [&]() -> asio::awaitable<void> {
    const std::vector<std::string> subscriptions =
        topics(session_topic("batch_login_reply"), "/sys/" + kPk + "/+/thing/ota/firmware/get_reply");
    co_await gw.connect(subscriptions);
    co_await log_in(gw, queried);
    co_await query_each(gw, queried, offers);
  }());
  const std::string plain_url = offers["dev-p"]["url"].get<std::string>();
  const std::string secure_url = offers["dev-s"]["url"].get<std::string>();
  CHECK(plain_url.starts_with("http://127.0.0.1:" + std::to_string(http_port) + "/fw/plain.bin?"));
  CHECK(secure_url.starts_with("https://127.0.0.1:" + std::to_string(https_port) + "/fw/secure.bin?"));
  const std::string ca_file = (dir.path() / "work" / "ca.pem").string();
  const auto plain = http_get(plain_url, ca_file);
  CHECK(plain.status == 200);
  CHECK(digest_hex(plain.body, EVP_md5()) == offers["dev-p"]["md5"]);
  const auto secure = http_get(secure_url, ca_file);
  CHECK(secure.status == 200);
  CHECK(digest_hex(secure.body, EVP_sha256()) == offers["dev-s"]["sign"]);

  SECTION("a second simulator finds the port taken and says so") {
    auto second = serve;
    second.back() = (dir.path() / "work-2").string();
    const auto result = run_sim(second, dir.path());
    CHECK(result.status == 1);
    CHECK(result.err.find("firmware server on 127.0.0.1:") != std::string::npos);
    CHECK(result.err.find("in use") != std::string::npos);
    CHECK(result.out.find("ready") == std::string::npos);
  }
  SECTION("an address that is not IPv4, or a bad port, is a usage error") {
    auto bad_host = serve;
    for (const char* host : {"gateway.local", "0.0.0.0", "255.255.255.255", "239.1.2.3"}) {
      INFO(host);
      bad_host[10] = host;
      const auto refused = run_sim(bad_host, dir.path());
      CHECK(refused.status == 2);
      CHECK(refused.err.find("--firmware-host: expected this machine's IPv4 address") != std::string::npos);
    }
    auto result = run_sim(serve, dir.path());  // (the port is taken: exit 1, not a usage error)
    CHECK(result.status == 1);
    auto bad_port = serve;
    bad_port[12] = "70000";
    result = run_sim(bad_port, dir.path());
    CHECK(result.status == 2);
    CHECK(result.err.find("--http-port: expected a port number") != std::string::npos);
  }
  CHECK(sim->signal_and_wait(SIGTERM, 10s) == 0);
}
