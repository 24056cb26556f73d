// otagwd as a process against a hostile platform (issue 10): offers with
// fields of the wrong type (replied and pushed), UTF-8 file names, replies
// nested 100,000 deep, odd codes and ids, forged log lines, foreign download
// hosts, digests of unexpected bytes, a crash loop. In every case the first
// sub-device gets the hostile input and the second one, in the same pass,
// must still be upgraded: downloaded, flashed by the plugin, reported.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/daemon/platform_double.hpp"

using namespace otagw::hostile_test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using otagw::sweep_test::FirmwareHost;

namespace {

// A fixed daemon ends such a pass in a few seconds; a dead sweep never does.
constexpr auto kRunLimit = 15s;
const std::string kHostile = "sub-hostile";  // gets the hostile input, visited first
const std::string kGood = "sub-good";        // offered good(), must be upgraded
const std::string kHostileKey = std::string(kSubProduct) + "." + kHostile;
const std::string kHostileName = std::string(kSubProduct) + "/" + kHostile;  // how logs name it

std::string tail(const std::string& log, std::size_t size = 4000) {
  return log.size() <= size ? log : "..." + log.substr(log.size() - size);
}

bool is_query_of(const Message& message, const std::string& device) {
  return message.topic.ends_with("/thing/ota/firmware/get") && device_of(message.topic) == device;
}

void configure(PlatformDouble& p, const std::string& ota_extra = {}) {
  p.write_config({kHostile, kGood}, ota_extra);
  p.set_offer(kGood, p.offer(p.good()).dump());
}

// The pass ended (exit 0, or 6 where the hostile device's job failed: a
// refused download or a digest mismatch) and the good device was upgraded in it.
constexpr int kExitJobFailed = 6;  // otagwd --once: the pass finished, a firmware job failed
void require_pass_upgraded_good(PlatformDouble& p, std::optional<int> status, int expected_exit = 0) {
  INFO("otagwd log (tail):\n" << tail(p.daemon_log()));
  REQUIRE(status.has_value());  // otagwd --once still runs: the sweep died or hung
  CHECK(*status == expected_exit);  // 128 + 11: SIGSEGV
  CHECK(p.upgraded(kGood, p.good(), "2.0.0"));
}

// The hostile device got one failure report with `step`, in valid JSON; the
// first of them is returned ("" if none).
std::string failure_desc(PlatformDouble& p, const std::string& step) {
  const auto progress = p.progress_of(kHostile);
  std::vector<Progress> failures;
  for (const Progress& message : progress) {
    INFO("progress payload: " << message.raw);
    CHECK(message.valid);
    if (message.valid && message.step.starts_with("-")) failures.push_back(message);
  }
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].step == step);
  return failures[0].desc;
}

void check_not_downloaded_nor_flashed(PlatformDouble& p) {
  CHECK(p.firmware().requests(p.hostile()) == 0);
  CHECK_FALSE(p.flash_started(kHostile));
}

nlohmann::json multi_file_offer(PlatformDouble& p, const FirmwareHost::Image& image, const std::string& name) {
  return {{"version", "2.0.0"},
          {"signMethod", "SHA256"},
          {"files", nlohmann::json::array({{{"fileName", name},
                                            {"fileUrl", p.firmware().url(image)},
                                            {"fileSize", image.size},
                                            {"fileSign", image.sha256}}})}};
}

// --- A, B: fields of the wrong JSON type ------------------------------------

enum class Delivery { reply, push };

using Mutation = void (*)(nlohmann::json&);

void check_wrong_type(Delivery delivery, const std::string& field, bool multi_file, Mutation mutate) {
  PlatformDouble p;
  configure(p);
  nlohmann::json offer = multi_file ? multi_file_offer(p, p.hostile(), "part.bin") : p.offer(p.hostile());
  mutate(offer);
  const std::string hostile = offer.dump();
  if (delivery == Delivery::reply) {
    p.set_offer(kHostile, hostile);
  } else {
    // No reply to the query: the push answers it.
    p.set_hook([&p, hostile](const Message& message) {
      if (!is_query_of(message, kHostile)) return false;
      p.push(kHostile, hostile);
      return true;
    });
  }
  p.start_daemon();
  const auto status = p.wait_daemon(kRunLimit);
  INFO("hostile offer: " << hostile);
  require_pass_upgraded_good(p, status);
  check_not_downloaded_nor_flashed(p);
  const std::string desc = failure_desc(p, "-1");
  CHECK_THAT(desc, Contains(field));
}

}  // namespace

// One test case per field and value, each in both deliveries.
#define WRONG_TYPE_CASE(title, field, multi_file, ...)                                                        \
  TEST_CASE("firmware/get reply with " title " is refused with -1 naming the field and the sweep goes on",  \
            "[integration][hostile][wrong-type]") {                                                           \
    check_wrong_type(Delivery::reply, field, multi_file, __VA_ARGS__);                                        \
  }                                                                                                           \
  TEST_CASE("upgrade push with " title " is refused with -1 naming the field and the sweep goes on",         \
            "[integration][hostile][wrong-type][push]") {                                                     \
    check_wrong_type(Delivery::push, field, multi_file, __VA_ARGS__);                                         \
  }

WRONG_TYPE_CASE("signMethod 256", "signMethod", false, [](nlohmann::json& o) { o["signMethod"] = 256; })
WRONG_TYPE_CASE("signMethod null", "signMethod", false, [](nlohmann::json& o) { o["signMethod"] = nullptr; })
WRONG_TYPE_CASE("size as a string", "size", false, [](nlohmann::json& o) { o["size"] = "1024"; })
WRONG_TYPE_CASE("negative size", "size", false, [](nlohmann::json& o) { o["size"] = -5; })
WRONG_TYPE_CASE("fractional size", "size", false, [](nlohmann::json& o) { o["size"] = 1.5; })
WRONG_TYPE_CASE("url 42", "url", false, [](nlohmann::json& o) { o["url"] = 42; })
WRONG_TYPE_CASE("version 7", "version", false, [](nlohmann::json& o) { o["version"] = 7; })
WRONG_TYPE_CASE("md5 12345", "md5", false, [](nlohmann::json& o) { o["md5"] = 12345; })
WRONG_TYPE_CASE("sign 12345", "sign", false, [](nlohmann::json& o) { o["sign"] = 12345; })
WRONG_TYPE_CASE("files not a list", "files", false, [](nlohmann::json& o) { o["files"] = "notalist"; })
WRONG_TYPE_CASE("fileSize x", "fileSize", true, [](nlohmann::json& o) { o["files"][0]["fileSize"] = "x"; })
WRONG_TYPE_CASE("isDiff an object", "isDiff", false, [](nlohmann::json& o) { o["isDiff"] = nlohmann::json::object(); })
WRONG_TYPE_CASE("isDiff 2", "isDiff", false, [](nlohmann::json& o) { o["isDiff"] = 2; })
WRONG_TYPE_CASE("extData a string", "extData", false, [](nlohmann::json& o) { o["extData"] = "string"; })

// --- C: a multi-file name of 2-byte UTF-8 characters -------------------------

namespace {

void check_utf8_file_name(const std::string& name) {
  PlatformDouble p;
  configure(p);
  p.set_offer(kHostile, multi_file_offer(p, p.hostile(), name).dump());
  p.start_daemon();
  const auto status = p.wait_daemon(kRunLimit);
  require_pass_upgraded_good(p, status);
  const auto progress = p.progress_of(kHostile);
  bool refused = false;
  for (const Progress& message : progress) {
    INFO("progress payload: " << message.raw);
    CHECK(message.valid);  // a cut UTF-8 character makes the payload invalid JSON
    refused = refused || message.step == "-1" || message.step == "-2";
  }
  CHECK(refused);
  CHECK_FALSE(p.flash_started(kHostile));
}

std::string repeat(const std::string& text, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += text;
  return out;
}

}  // namespace

TEST_CASE("a multi-file name of 200 bytes of two-byte UTF-8 is refused in valid UTF-8", "[integration][hostile][utf8]") {
  check_utf8_file_name(repeat("\xc3\xa9", 100));
}

TEST_CASE("a multi-file name whose 64-byte cut splits a UTF-8 character is refused in valid UTF-8",
          "[integration][hostile][utf8]") {
  check_utf8_file_name("a" + repeat("\xc3\xa9", 100));
}

// --- D: replies nested 100,000 levels deep ------------------------------------

namespace {

enum class DeepAt { firmware_get, topo_add, batch_login };

void check_deep_reply(DeepAt at) {
  PlatformDouble p;
  configure(p);
  bool sent = false;
  p.set_hook([&p, &sent, at](const Message& message) {
    const bool target = (at == DeepAt::firmware_get && is_query_of(message, kHostile)) ||
                        (at == DeepAt::topo_add && message.topic.ends_with("/thing/topo/add")) ||
                        (at == DeepAt::batch_login && message.topic.ends_with("/combine/batch_login"));
    if (!target || sent) return false;
    sent = true;
    constexpr std::size_t kDepth = 100000;
    p.reply(message, R"({"id":")" + request_id(message) + R"(","code":200,"data":)" + std::string(kDepth, '[') +
                         std::string(kDepth, ']') + "}");
    return false;  // then the proper reply, same id
  });
  p.start_daemon();
  const auto status = p.wait_daemon(kRunLimit);
  CHECK(sent);
  require_pass_upgraded_good(p, status);
  CHECK_FALSE(p.flash_started(kHostile));
}

}  // namespace

TEST_CASE("a firmware/get reply nested 100000 deep is dropped and the proper reply counts",
          "[integration][hostile][deep]") {
  check_deep_reply(DeepAt::firmware_get);
}

TEST_CASE("a topology add reply nested 100000 deep is dropped and the proper reply counts",
          "[integration][hostile][deep]") {
  check_deep_reply(DeepAt::topo_add);
}

TEST_CASE("a batch login reply nested 100000 deep is dropped and the proper reply counts",
          "[integration][hostile][deep]") {
  check_deep_reply(DeepAt::batch_login);
}

// --- E: huge and odd numbers ----------------------------------------------------

namespace {

// `reply` with {ID} (the query's id, unquoted) and {OFFER} (a valid offer of
// hostile()) filled in is the only answer to the hostile device's query.
void check_odd_code(const std::string& reply) {
  PlatformDouble p;
  configure(p);
  const std::string offer = p.offer(p.hostile()).dump();
  p.set_hook([&p, &reply, &offer](const Message& message) {
    if (!is_query_of(message, kHostile)) return false;
    std::string text = reply;
    text.replace(text.find("{ID}"), 4, request_id(message));
    text.replace(text.find("{OFFER}"), 7, offer);
    p.reply(message, text);
    return true;
  });
  p.start_daemon();
  const auto status = p.wait_daemon(kRunLimit);
  INFO("reply: " << reply);
  require_pass_upgraded_good(p, status);
  check_not_downloaded_nor_flashed(p);
}

}  // namespace

TEST_CASE("a reply code of 2^32+200 is not a success", "[integration][hostile][numbers]") {
  check_odd_code(R"({"id":"{ID}","code":4294967496,"data":{OFFER}})");
}

TEST_CASE("a reply code of 1e400 is not a success", "[integration][hostile][numbers]") {
  check_odd_code(R"({"id":"{ID}","code":1e400,"data":{OFFER}})");
}

TEST_CASE("a reply code of 200.0 is not a success", "[integration][hostile][numbers]") {
  check_odd_code(R"({"id":"{ID}","code":200.0,"data":{OFFER}})");
}

TEST_CASE("a reply code of string 200 is not a success", "[integration][hostile][numbers]") {
  check_odd_code(R"({"id":"{ID}","code":"200","data":{OFFER}})");
}

TEST_CASE("replies with an id of 2^70 or a negative id neither crash nor count", "[integration][hostile][numbers]") {
  PlatformDouble p;
  configure(p);
  const std::string offer = p.offer(p.hostile()).dump();
  p.set_hook([&p, &offer](const Message& message) {
    if (!is_query_of(message, kHostile)) return false;
    p.reply(message, R"({"id":1180591620717411303424,"code":200,"data":)" + offer + "}");
    p.reply(message, R"({"id":-5,"code":200,"data":)" + offer + "}");
    p.reply(message, R"({"id":-9223372036854775809,"code":200,"data":)" + offer + "}");
    return false;  // then "{}" with the right id: up to date
  });
  p.start_daemon();
  const auto status = p.wait_daemon(kRunLimit);
  require_pass_upgraded_good(p, status);
  check_not_downloaded_nor_flashed(p);
}

// --- F: log forging through the platform's message text -----------------------

namespace {

const std::string kForged = "denied\n[2026-12-07 10:00:00.000] [critical] FORGED-LINE\n<3>FORGED-PRIO\x1b[2J";

std::string forged_reply(const Message& request, int code) {
  const nlohmann::json reply = {{"id", request_id(request)}, {"code", code}, {"message", kForged}, {"data", {}}};
  return reply.dump();
}

void check_log_not_forged(const std::string& log, bool journal) {
  INFO("otagwd log (tail):\n" << tail(log));
  CHECK(log.find('\x1b') == std::string::npos);
  const std::regex own_prefix(journal ? "^<[0-7]>.*" : R"(^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} .*)");
  bool escaped_in_own_line = false;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    INFO(line);
    CHECK_FALSE(line.starts_with("[2026-12-07 10:00:00.000] [critical] FORGED"));
    CHECK_FALSE(line.starts_with("<3>FORGED"));
    if (line.find("FORGED-LINE") != std::string::npos && std::regex_match(line, own_prefix)) {
      escaped_in_own_line = true;
    }
  }
  CHECK(escaped_in_own_line);
}

enum class ForgedIn { firmware_get, batch_login };

void check_forging(ForgedIn where, bool journal) {
  PlatformDouble p;
  configure(p);
  p.set_hook([&p, where](const Message& message) {
    if (where == ForgedIn::firmware_get && is_query_of(message, kHostile)) {
      p.reply(message, forged_reply(message, 500));
      return true;
    }
    if (where == ForgedIn::batch_login && message.topic.ends_with("/combine/batch_login")) {
      const auto listed = listed_devices(message);
      if (std::find(listed.begin(), listed.end(), kHostileKey) == listed.end()) return false;
      p.reply(message, forged_reply(message, 521));
      return true;
    }
    return false;
  });
  std::vector<std::string> environment;
  std::filesystem::path stderr_path;
  if (journal) {  // stderr named in JOURNAL_STREAM, as systemd does: <N> prefixes
    stderr_path = p.dir() / "journal.stderr";
    std::ofstream(stderr_path).close();
    struct stat st {};
    REQUIRE(::stat(stderr_path.c_str(), &st) == 0);
    environment.push_back("JOURNAL_STREAM=" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino));
  }
  p.start_daemon(true, environment, stderr_path);
  const auto status = p.wait_daemon(kRunLimit);
  INFO((journal ? "under the journal" : "plain stderr"));
  require_pass_upgraded_good(p, status);
  check_log_not_forged(p.daemon_log(), journal);
  CHECK_FALSE(p.flash_started(kHostile));
}

}  // namespace

TEST_CASE("the message of a refused firmware/get cannot forge log lines", "[integration][hostile][log]") {
  check_forging(ForgedIn::firmware_get, GENERATE(false, true));
}

TEST_CASE("the message of a refused login cannot forge log lines", "[integration][hostile][log]") {
  check_forging(ForgedIn::batch_login, GENERATE(false, true));
}

// --- G: allowed download hosts ---------------------------------------------------

namespace {

std::string on_localhost(std::string url) {
  const std::string loopback = "127.0.0.1";
  url.replace(url.find(loopback), loopback.size(), "localhost");
  return url;
}

}  // namespace

TEST_CASE("a firmware URL naming a host not in ota.allowed_download_hosts is refused with -2",
          "[integration][hostile][hosts]") {
  PlatformDouble p;
  configure(p, R"(allowed_download_hosts: ["localhost"])");
  nlohmann::json good = p.offer(p.good());
  good["url"] = on_localhost(good["url"].get<std::string>());
  p.set_offer(kGood, good.dump());
  p.set_offer(kHostile, p.offer(p.hostile()).dump());  // http://127.0.0.1:port/...: the same server
  p.start_daemon();
  const auto status = p.wait_daemon(kRunLimit);
  require_pass_upgraded_good(p, status, kExitJobFailed);
  check_not_downloaded_nor_flashed(p);
  (void)failure_desc(p, "-2");
}

TEST_CASE("a redirect to a host not in ota.allowed_download_hosts is refused with -2",
          "[integration][hostile][hosts]") {
  PlatformDouble p;
  configure(p, R"(allowed_download_hosts: ["localhost"])");
  nlohmann::json good = p.offer(p.good());
  good["url"] = on_localhost(good["url"].get<std::string>());
  p.set_offer(kGood, good.dump());
  otagw::cloudsim::FaultSpec redirect;
  redirect.redirect_to = p.firmware().url(p.hostile());  // 302 to http://127.0.0.1:port/fw/hostile.bin
  const auto redirecting = p.firmware().add("redirect.bin", 16, redirect);
  nlohmann::json hostile = p.offer(p.hostile());
  hostile["url"] = on_localhost(p.firmware().url(redirecting));
  p.set_offer(kHostile, hostile.dump());
  p.start_daemon();
  const auto status = p.wait_daemon(kRunLimit);
  require_pass_upgraded_good(p, status, kExitJobFailed);
  check_not_downloaded_nor_flashed(p);  // no request for the redirected path
  (void)failure_desc(p, "-2");
}

// --- H: no digest of unexpected bytes goes back to the cloud ---------------------

TEST_CASE("a digest mismatch is reported with -3 and without the digest of the served bytes",
          "[integration][hostile][digest]") {
  const bool md5 = GENERATE(false, true);
  PlatformDouble p;
  configure(p);
  nlohmann::json offer = p.offer(p.hostile());
  offer["signMethod"] = md5 ? "MD5" : "SHA256";
  offer["sign"] = md5 ? p.good().md5 : p.good().sha256;  // not what hostile.bin hashes to
  p.set_offer(kHostile, offer.dump());
  p.start_daemon();
  const auto status = p.wait_daemon(kRunLimit);
  INFO((md5 ? "MD5" : "SHA256"));
  require_pass_upgraded_good(p, status, kExitJobFailed);
  std::string desc = failure_desc(p, "-3");
  std::transform(desc.begin(), desc.end(), desc.begin(), [](unsigned char c) { return std::tolower(c); });
  CHECK_THAT(desc, !Contains(p.hostile().sha256));
  CHECK_THAT(desc, !Contains(p.hostile().md5));
  CHECK_FALSE(p.flash_started(kHostile));
}

// --- I: crash-loop breaker ----------------------------------------------------------

TEST_CASE("a device whose visit ended three starts in a row is skipped for one pass",
          "[integration][hostile][crash-loop]") {
  PlatformDouble p;
  p.write_config({kHostile, kGood}, "runtime_dir: \"" + (p.dir() / "run").string() + "\"");
  bool answer_hostile = false;
  p.set_hook([&answer_hostile](const Message& message) { return !answer_hostile && is_query_of(message, kHostile); });

  for (int start = 1; start <= 3; ++start) {
    const std::size_t before = p.received().size();
    auto& daemon = p.start_daemon();
    p.pump_until([&] { return p.queries_of(kHostile, before) > 0 || daemon.wait(0ms).has_value(); }, kRunLimit);
    INFO("start " << start << ", otagwd log (tail):\n" << tail(p.daemon_log()));
    REQUIRE(p.queries_of(kHostile, before) == 1);
    daemon.signal(SIGKILL);  // dies during the hostile device's visit
    REQUIRE(daemon.wait(5s) == 128 + SIGKILL);
  }

  // Start 4: the hostile device is skipped, the next one visited.
  std::size_t before = p.received().size();
  p.start_daemon();
  auto status = p.wait_daemon(kRunLimit);
  {
    INFO("start 4, otagwd log (tail):\n" << tail(p.daemon_log()));
    REQUIRE(status.has_value());
    CHECK(*status == 0);
    CHECK(p.queries_of(kHostile, before) == 0);
    CHECK(p.queries_of(kGood, before) == 1);
    bool logged = false;
    std::istringstream lines(p.daemon_log());
    for (std::string line; std::getline(lines, line);) {
      logged = logged || (line.find(kHostileName) != std::string::npos && line.find("skipped") != std::string::npos);
    }
    CHECK(logged);
  }

  // Start 5, the next pass: queried again.
  answer_hostile = true;
  before = p.received().size();
  p.start_daemon();
  status = p.wait_daemon(kRunLimit);
  INFO("start 5, otagwd log (tail):\n" << tail(p.daemon_log()));
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  CHECK(p.queries_of(kHostile, before) == 1);
  CHECK(p.queries_of(kGood, before) == 1);
}
