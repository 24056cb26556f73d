// HttpDownloader against the cloud simulator's firmware server over loopback
// (HTTPS with a throw-away PKI, and plain HTTP), with the server's faults:
// drops, stalls, ignored ranges, error statuses, lying lengths, redirects.
#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/run_with_timeout.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_ca.hpp"
#include "tools/cloudsim/firmware_server/firmware_server.hpp"
#include "transports/curl/staging_writer.hpp"
#include "transports/digest.hpp"
#include "config/host_pattern.hpp"
#include "transports/download_error.hpp"
#include "transports/http_download.hpp"

using namespace otagw;
using namespace otagw::transports;
using namespace std::chrono_literals;
using cloudsim::FaultSpec;
using cloudsim::FirmwareServer;
namespace fs = std::filesystem;

namespace {

constexpr const char* kPath = "/fw/image.bin";

// Position-dependent bytes: an offset bug (a resume at the wrong byte, a
// duplicated or lost chunk) changes the digest.
std::string pattern(std::size_t size, std::uint32_t seed = 1) {
  std::string bytes(size, '\0');
  std::uint32_t x = seed * 2654435761u + 12345u;
  for (std::size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    bytes[i] = static_cast<char>((x >> 11) ^ (i >> 8));
  }
  return bytes;
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Computed independently of transports::Digest: OpenSSL's one-shot call.
std::string openssl_hex(const std::string& bytes, DigestMethod method) {
  unsigned char raw[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  REQUIRE(EVP_Digest(bytes.data(), bytes.size(), raw, &length, method == DigestMethod::md5 ? EVP_md5() : EVP_sha256(),
                     nullptr) == 1);
  std::string hex;
  char pair[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(pair, sizeof pair, "%02x", raw[i]);
    hex += pair;
  }
  return hex;
}

struct Outcome {
  std::error_code ec;
  DownloadResult result;
};

// Runs the loop until `done()` or the limit, so a hung download fails the test.
template <typename Predicate>
void run_until(asio::io_context& io, Predicate done, std::chrono::steady_clock::duration limit = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.run_one_until(deadline);
    if (io.stopped()) io.restart();
  }
  REQUIRE(done());
}

struct Fixture {
  explicit Fixture(bool tls = true) {
    if (tls) pki = test_support::make_test_pki(dir.path());
    server.emplace(io, tls, pki.server_cert, pki.server_key);
    downloader.emplace(io.get_executor(), pool.get_executor());
    staging = dir.path() / "staging.bin";
  }
  ~Fixture() {
    downloader.reset();
    server.reset();
    pool.stop();
    pool.join();
  }

  std::string url(const std::string& path = kPath) const { return url_on("127.0.0.1", path); }
  // The same server under another name: "localhost" and "127.0.0.1" are two
  // hosts to the allowed-hosts check (the test certificate names both).
  std::string url_on(const std::string& host, const std::string& path = kPath) const {
    return (server->tls() ? "https://" : "http://") + host + ":" + std::to_string(server->port()) + path;
  }

  // Serves `bytes` at kPath and returns a request for it.
  DownloadRequest serve(const std::string& bytes, FaultSpec faults = {}) {
    const fs::path source = dir.path() / "served.bin";
    write_file(source, bytes);
    server->add_file(kPath, source, std::move(faults));
    DownloadRequest request;
    request.url = url();
    request.file = staging;
    request.expected_size = bytes.size();
    request.ca_file = pki.ca_cert;
    request.allow_http = !server->tls();
    request.connect_timeout = 5s;
    request.low_speed_timeout = 5s;
    return request;
  }

  Outcome download(DownloadRequest request, std::chrono::steady_clock::duration limit = 30s) {
    std::optional<Outcome> outcome;
    downloader->async_download(std::move(request), [&](std::error_code ec, DownloadResult result) {
      outcome = Outcome{ec, std::move(result)};
    });
    run_until(io, [&] { return outcome.has_value(); }, limit);
    return std::move(*outcome);
  }

  test_support::TempDir dir{"otagw-dl"};
  test_support::TestPki pki;
  asio::io_context io;
  asio::thread_pool pool{1};
  std::optional<FirmwareServer> server;
  std::optional<HttpDownloader> downloader;
  fs::path staging;
};

}  // namespace

// ---- digests and errors ------------------------------------------------------

TEST_CASE("digest: known vectors, streamed in pieces", "[unit][digest]") {
  Digest sha(DigestMethod::sha256);
  sha.update("a", 1);
  sha.update("bc", 2);
  CHECK(sha.finish_hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  sha.update("abc", 3);  // finish_hex started afresh
  CHECK(sha.finish_hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Digest md5(DigestMethod::md5);
  md5.update("abc", 3);
  CHECK(md5.finish_hex() == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(md5.finish_hex() == "d41d8cd98f00b204e9800998ecf8427e");  // empty input

  const std::string bytes = pattern(3'000'001);
  Digest pieces(DigestMethod::sha256);
  for (std::size_t at = 0; at < bytes.size(); at += 4093) {
    pieces.update(bytes.data() + at, std::min<std::size_t>(4093, bytes.size() - at));
  }
  CHECK(pieces.finish_hex() == openssl_hex(bytes, DigestMethod::sha256));
}

TEST_CASE("digest: a file, and the platform's signMethod spellings", "[unit][digest]") {
  test_support::TempDir dir;
  const std::string bytes = pattern(1'500'000, 7);
  write_file(dir.path() / "f.bin", bytes);
  auto sha = file_digest_hex(dir.path() / "f.bin", DigestMethod::sha256);
  REQUIRE(sha);
  CHECK(*sha == openssl_hex(bytes, DigestMethod::sha256));
  auto md5 = file_digest_hex(dir.path() / "f.bin", DigestMethod::md5);
  REQUIRE(md5);
  CHECK(*md5 == openssl_hex(bytes, DigestMethod::md5));
  CHECK_FALSE(file_digest_hex(dir.path() / "missing", DigestMethod::md5));

  CHECK(parse_digest_method("Md5") == DigestMethod::md5);
  CHECK(parse_digest_method("MD5") == DigestMethod::md5);
  CHECK(parse_digest_method("SHA256") == DigestMethod::sha256);
  CHECK(parse_digest_method("sha256") == DigestMethod::sha256);
  CHECK_FALSE(parse_digest_method("SHA-1"));
}

TEST_CASE("download errors: cancelled is operation_canceled, every code has a message", "[unit][download]") {
  const std::error_code cancelled = DownloadErrc::cancelled;
  CHECK(cancelled == std::errc::operation_canceled);
  CHECK(std::error_code(DownloadErrc::timed_out) != std::errc::operation_canceled);
  for (int value = 1; value <= static_cast<int>(DownloadErrc::host_refused); ++value) {
    const std::error_code ec(value, download_category());
    CHECK(ec.message().find("unknown") == std::string::npos);
  }
}

// ---- whole downloads ---------------------------------------------------------

TEST_CASE("download: whole file over HTTPS, SHA-256", "[integration][download]") {
  Fixture f;
  const std::string bytes = pattern(1'234'567);
  auto request = f.serve(bytes);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> progress;
  request.on_progress = [&](std::uint64_t done, std::uint64_t total) { progress.emplace_back(done, total); };
  auto [ec, result] = f.download(request);
  REQUIRE_FALSE(ec);
  CHECK(result.http_status == 200);
  CHECK(result.bytes == bytes.size());
  CHECK_FALSE(result.restarted);
  CHECK(result.digest_hex == openssl_hex(bytes, DigestMethod::sha256));
  CHECK(read_file(f.staging) == bytes);
  CHECK(f.server->range_headers(kPath) == std::vector<std::string>{""});
  REQUIRE_FALSE(progress.empty());
  CHECK(progress.back() == std::pair<std::uint64_t, std::uint64_t>{bytes.size(), bytes.size()});
  for (std::size_t i = 1; i < progress.size(); ++i) CHECK(progress[i - 1].first <= progress[i].first);
}

TEST_CASE("download: whole file over HTTPS, MD5", "[integration][download]") {
  Fixture f;
  const std::string bytes = pattern(777'777, 3);
  auto request = f.serve(bytes);
  request.digest = DigestMethod::md5;
  auto [ec, result] = f.download(request);
  REQUIRE_FALSE(ec);
  CHECK(result.digest_hex == openssl_hex(bytes, DigestMethod::md5));
  CHECK(result.digest_hex.size() == 32);
}

TEST_CASE("download: plain http when allowed, and an empty image", "[integration][download]") {
  Fixture f(false);
  const std::string bytes = pattern(300'000, 4);
  auto [ec, result] = f.download(f.serve(bytes));
  REQUIRE_FALSE(ec);
  CHECK(result.digest_hex == openssl_hex(bytes, DigestMethod::sha256));

  fs::remove(f.staging);
  auto empty_request = f.serve("");
  empty_request.expected_size = 0;
  auto [empty_ec, empty] = f.download(empty_request);
  REQUIRE_FALSE(empty_ec);
  CHECK(empty.bytes == 0);
  CHECK(empty.digest_hex == openssl_hex("", DigestMethod::sha256));
}

// A host name libcurl cannot resolve by itself goes through its threaded
// resolver, whose socketpair the loop must watch too (it never passes
// through CURLOPT_OPENSOCKETFUNCTION).
TEST_CASE("download: a host name through libcurl's resolver thread", "[integration][download]") {
  char name[256] = {};
  REQUIRE(::gethostname(name, sizeof name - 1) == 0);
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* found = nullptr;
  const bool loopback = ::getaddrinfo(name, nullptr, &hints, &found) == 0 && found != nullptr &&
                        (ntohl(reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr.s_addr) >> 24) == 127;
  if (found != nullptr) ::freeaddrinfo(found);
  if (!loopback) {
    WARN("skipped: host name '" << name << "' does not resolve to loopback");
    return;
  }
  Fixture f(false);
  const std::string bytes = pattern(400'000, 6);
  auto request = f.serve(bytes);
  request.url = "http://" + std::string(name) + ":" + std::to_string(f.server->port()) + kPath;
  auto [ec, result] = f.download(request);
  REQUIRE_FALSE(ec);
  CHECK(result.digest_hex == openssl_hex(bytes, DigestMethod::sha256));
}

TEST_CASE("download: usable from a coroutine with use_awaitable", "[integration][download]") {
  Fixture f;
  const std::string bytes = pattern(100'000, 5);
  auto request = f.serve(bytes);
  std::error_code ec;
  DownloadResult result;
  test_support::run_with_timeout(f.io, [&]() -> asio::awaitable<void> {
    auto [e, r] = co_await f.downloader->async_download(request, asio::use_awaitable);
    ec = e;
    result = std::move(r);
  }());
  REQUIRE_FALSE(ec);
  CHECK(result.digest_hex == openssl_hex(bytes, DigestMethod::sha256));
}

TEST_CASE("download: two at once on one downloader", "[integration][download]") {
  Fixture f;
  const std::string a = pattern(900'000, 11), b = pattern(600'000, 12);
  auto request_a = f.serve(a);
  write_file(f.dir.path() / "b.bin", b);
  f.server->add_file("/fw/b.bin", f.dir.path() / "b.bin");
  auto request_b = request_a;
  request_b.url = f.url("/fw/b.bin");
  request_b.file = f.dir.path() / "staging-b.bin";
  request_b.expected_size = b.size();
  std::optional<Outcome> done_a, done_b;
  f.downloader->async_download(request_a, [&](std::error_code ec, DownloadResult r) { done_a = Outcome{ec, r}; });
  f.downloader->async_download(request_b, [&](std::error_code ec, DownloadResult r) { done_b = Outcome{ec, r}; });
  run_until(f.io, [&] { return done_a && done_b; });
  REQUIRE_FALSE(done_a->ec);
  REQUIRE_FALSE(done_b->ec);
  CHECK(done_a->result.digest_hex == openssl_hex(a, DigestMethod::sha256));
  CHECK(done_b->result.digest_hex == openssl_hex(b, DigestMethod::sha256));
}

TEST_CASE("download: follows a redirect", "[integration][download]") {
  Fixture f;
  const std::string bytes = pattern(200'000, 13);
  auto request = f.serve(bytes);
  FaultSpec moved;
  moved.redirect_to = f.url();
  f.server->add_file("/old.bin", f.dir.path() / "served.bin", moved);
  request.url = f.url("/old.bin");
  auto [ec, result] = f.download(request);
  REQUIRE_FALSE(ec);
  CHECK(result.digest_hex == openssl_hex(bytes, DigestMethod::sha256));
  CHECK(f.server->requests("/old.bin") == 1);
  CHECK(f.server->requests(kPath) == 1);
}

// ---- resuming ----------------------------------------------------------------

TEST_CASE("download: resumes with Range after a drop at byte N", "[integration][download]") {
  Fixture f;
  const std::string bytes = pattern(2'000'000, 21);
  constexpr std::uint64_t kDrop = 700'001;
  FaultSpec faults;
  faults.drop_at_byte = kDrop;  // the first request only
  auto request = f.serve(bytes, faults);

  auto [first_ec, first] = f.download(request);
  CHECK(first_ec == DownloadErrc::size_mismatch);
  CHECK(fs::file_size(f.staging) == kDrop);

  auto [ec, result] = f.download(request);
  REQUIRE_FALSE(ec);
  CHECK(result.http_status == 206);
  CHECK_FALSE(result.restarted);
  CHECK(result.bytes == bytes.size());
  CHECK(result.digest_hex == openssl_hex(bytes, DigestMethod::sha256));
  CHECK(read_file(f.staging) == bytes);
  CHECK(f.server->range_headers(kPath) == std::vector<std::string>{"", "bytes=700001-"});
}

TEST_CASE("download: resumes a partial file left by an earlier run", "[integration][download]") {
  Fixture f;
  const std::string bytes = pattern(1'000'000, 22);
  auto request = f.serve(bytes);
  request.digest = DigestMethod::md5;
  write_file(f.staging, bytes.substr(0, 123'456));  // what a killed process left
  auto [ec, result] = f.download(request);
  REQUIRE_FALSE(ec);
  CHECK(result.http_status == 206);
  CHECK(result.digest_hex == openssl_hex(bytes, DigestMethod::md5));
  CHECK(f.server->range_headers(kPath) == std::vector<std::string>{"bytes=123456-"});
}

TEST_CASE("download: a 200 to our Range starts again from zero", "[integration][download]") {
  Fixture f;
  const std::string bytes = pattern(1'100'000, 23);
  FaultSpec faults;
  faults.ignore_range = true;
  auto request = f.serve(bytes, faults);
  // Not a prefix of the image: only a real restart (truncate + hash reset)
  // gets the digest right.
  write_file(f.staging, pattern(400'000, 99));
  auto [ec, result] = f.download(request);
  REQUIRE_FALSE(ec);
  CHECK(result.http_status == 200);
  CHECK(result.restarted);
  CHECK(result.bytes == bytes.size());
  CHECK(result.digest_hex == openssl_hex(bytes, DigestMethod::sha256));
  CHECK(read_file(f.staging) == bytes);
  CHECK(f.server->range_headers(kPath) == std::vector<std::string>{"bytes=400000-"});
}

TEST_CASE("download: a file that is already whole completes on the 416", "[integration][download]") {
  Fixture f;
  const std::string bytes = pattern(250'000, 24);
  auto request = f.serve(bytes);
  write_file(f.staging, bytes);
  auto [ec, result] = f.download(request);
  REQUIRE_FALSE(ec);
  CHECK(result.http_status == 416);
  CHECK(result.bytes == bytes.size());
  CHECK(result.digest_hex == openssl_hex(bytes, DigestMethod::sha256));
}

TEST_CASE("download: a staging file longer than the image is discarded", "[integration][download]") {
  Fixture f;
  const std::string bytes = pattern(250'000, 25);
  auto request = f.serve(bytes);
  write_file(f.staging, pattern(300'000, 98));
  auto [ec, result] = f.download(request);
  REQUIRE_FALSE(ec);
  CHECK(result.restarted);
  CHECK(result.http_status == 200);
  CHECK(result.digest_hex == openssl_hex(bytes, DigestMethod::sha256));
  CHECK(f.server->range_headers(kPath) == std::vector<std::string>{""});
}

// ---- refusals and failures -----------------------------------------------------

TEST_CASE("download: 404 and 500 are http_status errors, the page is not kept", "[integration][download]") {
  Fixture f;
  for (const int status : {404, 500, 403, 410}) {
    FaultSpec faults;
    faults.status = status;
    auto request = f.serve(pattern(100'000), faults);
    auto [ec, result] = f.download(request);
    CHECK(ec == DownloadErrc::http_status);
    CHECK(result.http_status == status);
    CHECK(fs::file_size(f.staging) == 0);
  }
  auto request = f.serve(pattern(1000));
  request.url = f.url("/fw/nothing-here.bin");
  auto [ec, result] = f.download(request);
  CHECK(ec == DownloadErrc::http_status);
  CHECK(result.http_status == 404);
}

TEST_CASE("download: a declared length above expected_size is refused before the body", "[integration][download]") {
  Fixture f;
  const std::string bytes = pattern(2'000'000, 31);
  FaultSpec faults;
  faults.wrong_content_length = 50'000'000;
  auto request = f.serve(bytes, faults);
  auto [ec, result] = f.download(request);
  CHECK(ec == DownloadErrc::too_large);
  CHECK(fs::file_size(f.staging) == 0);

  // The right length, but the offer (or max_bytes) says less.
  f.server->set_faults(kPath, {});
  request.expected_size = 1'000'000;
  auto [small_ec, small] = f.download(request);
  CHECK(small_ec == DownloadErrc::too_large);
  request.expected_size = bytes.size();
  request.max_bytes = 1'999'999;
  auto [cap_ec, cap] = f.download(request);
  CHECK(cap_ec == DownloadErrc::too_large);
  CHECK(fs::file_size(f.staging) == 0);
}

TEST_CASE("download: a body longer than expected_size is cut at the limit", "[integration][download]") {
  Fixture f(false);
  const std::string bytes = pattern(3'000'000, 32);
  FaultSpec faults;
  faults.no_content_length = true;  // only our own count can stop it
  auto request = f.serve(bytes, faults);
  request.expected_size = 1'000'000;
  auto [ec, result] = f.download(request);
  CHECK(ec == DownloadErrc::too_large);
  CHECK(fs::file_size(f.staging) <= 1'000'000);
  CHECK(read_file(f.staging) == bytes.substr(0, fs::file_size(f.staging)));
}

TEST_CASE("download: a connection closed early is a size_mismatch", "[integration][download]") {
  Fixture f;
  const std::string bytes = pattern(1'000'000, 33);
  FaultSpec faults;
  faults.drop_at_byte = 10'000;
  faults.drop_times = 0;  // every time
  auto request = f.serve(bytes, faults);
  auto [ec, result] = f.download(request);
  CHECK(ec == DownloadErrc::size_mismatch);
  CHECK(result.bytes == 10'000);

  // A Content-Length that promises more than comes, with no offer size.
  fs::remove(f.staging);
  FaultSpec lying;
  lying.wrong_content_length = bytes.size() + 5000;
  f.server->set_faults(kPath, lying);
  request.expected_size = 0;
  auto [lie_ec, lie] = f.download(request);
  CHECK(lie_ec == DownloadErrc::size_mismatch);

  // A Content-Length below the offer's size.
  fs::remove(f.staging);
  FaultSpec short_length;
  short_length.wrong_content_length = bytes.size() - 100;
  f.server->set_faults(kPath, short_length);
  request.expected_size = bytes.size();
  auto [short_ec, short_result] = f.download(request);
  CHECK(short_ec == DownloadErrc::size_mismatch);
}

TEST_CASE("download: a stalled server times out", "[integration][download]") {
  Fixture f;
  FaultSpec faults;
  faults.stall_at_byte = 100'000;
  faults.stall_after_bytes_ms = 20s;
  auto request = f.serve(pattern(500'000, 34), faults);
  request.low_speed_timeout = 1s;
  const auto started = std::chrono::steady_clock::now();
  auto [ec, result] = f.download(request, 15s);
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(ec == DownloadErrc::timed_out);
  // libcurl averages the speed over its last 5 s: the 100 kB sent before
  // the stall keep it above 1 byte/s for up to 5 s, then 1 s more.
  CHECK(took >= 1s);
  CHECK(took < 10s);
  CHECK(fs::file_size(f.staging) == 100'000);  // kept for the next attempt
}

TEST_CASE("download: an untrusted certificate fails TLS", "[integration][download]") {
  Fixture f;
  auto request = f.serve(pattern(10'000));
  request.ca_file.clear();  // the system store does not know the test CA
  auto [ec, result] = f.download(request);
  CHECK(ec == DownloadErrc::tls_failed);
  CHECK_FALSE(result.error_detail.empty());

  test_support::TempDir other;
  request.ca_file = test_support::make_test_pki(other.path()).ca_cert;  // another CA
  auto [other_ec, other_result] = f.download(request);
  CHECK(other_ec == DownloadErrc::tls_failed);
  CHECK(f.server->requests(kPath) == 0);
}

TEST_CASE("download: schemes other than https are refused", "[integration][download]") {
  Fixture f;
  auto request = f.serve(pattern(10'000));
  for (const char* url : {"file:///etc/passwd", "ftp://127.0.0.1/fw.bin", "gopher://127.0.0.1/x"}) {
    request.url = url;
    auto [ec, result] = f.download(request);
    CHECK(ec == DownloadErrc::scheme_refused);
  }
  request.url = "http://127.0.0.1:" + std::to_string(f.server->port()) + kPath;
  request.allow_http = false;
  auto [http_ec, http_result] = f.download(request);
  CHECK(http_ec == DownloadErrc::scheme_refused);
  request.url = "not a url";
  auto [bad_ec, bad] = f.download(request);
  CHECK(bad_ec == DownloadErrc::bad_url);
  CHECK_FALSE(fs::exists(f.staging));
  CHECK(f.server->requests(kPath) == 0);
}

TEST_CASE("download: a redirect to a refused scheme is refused", "[integration][download]") {
  Fixture f;
  auto request = f.serve(pattern(10'000));
  for (const std::string& target : {std::string("file:///etc/passwd"), std::string("http://127.0.0.1:1/fw.bin")}) {
    FaultSpec moved;
    moved.redirect_to = target;
    f.server->set_faults(kPath, moved);
    auto [ec, result] = f.download(request);
    CHECK(ec == DownloadErrc::scheme_refused);
    CHECK(fs::file_size(f.staging) == 0);
  }
}

// ---- allowed hosts and redirects, followed by hand ----------------------------

namespace {

std::vector<config::HostPattern> hosts(std::initializer_list<const char*> texts) {
  std::vector<config::HostPattern> out;
  for (const char* text : texts) out.push_back(config::parse_host_pattern(text).value());
  return out;
}

// Serves `path` as a 302 to `target`.
void redirect(Fixture& f, const std::string& path, const std::string& target) {
  FaultSpec moved;
  moved.redirect_to = target;
  f.server->add_file(path, f.dir.path() / "served.bin", moved);
}

}  // namespace

TEST_CASE("download: an allowed host downloads, a refused one is never asked", "[integration][download]") {
  Fixture f;
  const std::string bytes = pattern(150'000, 51);
  auto request = f.serve(bytes);
  request.allowed_hosts = hosts({"LOCALHOST."});
  request.url = f.url_on("localhost");
  auto [ec, result] = f.download(request);
  REQUIRE_FALSE(ec);
  CHECK(result.digest_hex == openssl_hex(bytes, DigestMethod::sha256));
  CHECK(f.server->requests(kPath) == 1);

  request.file = f.dir.path() / "refused.bin";
  for (const std::string& url : {f.url_on("127.0.0.1"), f.url_on("[::1]"), f.url_on("127.0.0.1.")}) {
    INFO(url);
    request.url = url;
    auto [refused_ec, refused] = f.download(request);
    CHECK(refused_ec == DownloadErrc::host_refused);
    CHECK_THAT(refused.error_detail, Catch::Contains("127.0.0.1") || Catch::Contains("::1"));
    CHECK(refused.http_status == 0);
  }
  CHECK(f.server->requests(kPath) == 1);
  CHECK_FALSE(fs::exists(request.file));  // refused before the staging file is opened
}

TEST_CASE("download: a host is taken as libcurl parses the URL", "[integration][download]") {
  Fixture f(false);
  auto request = f.serve(pattern(1000, 52));
  request.allowed_hosts = hosts({"localhost"});
  // Each names 127.0.0.1 to libcurl, whatever a naive reading of the text
  // says; none may pass as localhost.
  const std::string port = std::to_string(f.server->port());
  for (const std::string& url : {"http://localhost@127.0.0.1:" + port + kPath,
                                 "http://localhost:x@127.0.0.1:" + port + kPath,
                                 "http://127.0.0.1:" + port + kPath + "?localhost",
                                 "http://127.0.0.1:" + port + "/localhost" + kPath,
                                 "http://127.0.0.1:" + port + kPath + "#localhost"}) {
    INFO(url);
    request.url = url;
    auto [ec, result] = f.download(request);
    CHECK(ec == DownloadErrc::host_refused);
  }
  CHECK(f.server->requests(kPath) == 0);
}

TEST_CASE("download: a redirect to a refused host is not followed", "[integration][download]") {
  Fixture f;
  auto request = f.serve(pattern(100'000, 53));
  redirect(f, "/moved.bin", f.url_on("127.0.0.1"));
  request.allowed_hosts = hosts({"localhost"});
  request.url = f.url_on("localhost", "/moved.bin");
  auto [ec, result] = f.download(request);
  CHECK(ec == DownloadErrc::host_refused);
  CHECK_THAT(result.error_detail, Catch::Contains("redirect") && Catch::Contains("'127.0.0.1'"));
  CHECK(result.http_status == 302);
  CHECK(f.server->requests("/moved.bin") == 1);
  CHECK(f.server->requests(kPath) == 0);  // the refused host saw nothing
  CHECK(fs::file_size(f.staging) == 0);   // nor did the redirect's page reach the file
}

TEST_CASE("download: a redirect chain within the allowed hosts resumes with one Range", "[integration][download]") {
  Fixture f;
  const std::string bytes = pattern(900'000, 54);
  auto request = f.serve(bytes);
  redirect(f, "/a.bin", f.url_on("127.0.0.1", "/b.bin"));
  redirect(f, "/b.bin", "/c.bin");  // relative: same host as /b.bin
  redirect(f, "/c.bin", f.url_on("localhost"));
  request.allowed_hosts = hosts({"localhost", "127.0.0.1"});
  request.url = f.url_on("localhost", "/a.bin");
  write_file(f.staging, bytes.substr(0, 300'000));  // what an earlier attempt left
  auto [ec, result] = f.download(request);
  REQUIRE_FALSE(ec);
  CHECK(result.http_status == 206);
  CHECK_FALSE(result.restarted);
  CHECK(result.digest_hex == openssl_hex(bytes, DigestMethod::sha256));
  CHECK(read_file(f.staging) == bytes);
  for (const char* path : {"/a.bin", "/b.bin", "/c.bin", kPath}) {
    INFO(path);
    CHECK(f.server->range_headers(path) == std::vector<std::string>{"bytes=300000-"});
  }
}

TEST_CASE("download: at most 5 redirects", "[integration][download]") {
  Fixture f(false);
  const std::string bytes = pattern(50'000, 55);
  auto request = f.serve(bytes);
  // /r0 -> /r1 -> ... -> /r5 -> kPath
  for (int i = 0; i < 5; ++i) redirect(f, "/r" + std::to_string(i), f.url("/r" + std::to_string(i + 1)));
  redirect(f, "/r5", f.url());

  request.url = f.url("/r1");  // 5 redirects
  auto [ec, result] = f.download(request);
  REQUIRE_FALSE(ec);
  CHECK(result.digest_hex == openssl_hex(bytes, DigestMethod::sha256));
  CHECK(f.server->requests(kPath) == 1);

  fs::remove(f.staging);
  request.url = f.url("/r0");  // 6
  auto [too_many_ec, too_many] = f.download(request);
  CHECK(too_many_ec == DownloadErrc::http_status);
  CHECK(too_many.http_status == 302);
  CHECK(f.server->requests("/r5") == 2);
  CHECK(f.server->requests(kPath) == 1);  // the 6th hop never went out
  CHECK(fs::file_size(f.staging) == 0);
}

// ---- cancellation and the asynchronous contract -----------------------------

TEST_CASE("download: the body outruns a stalled pool and still arrives whole and in order",
          "[integration][download]") {
  // Every pool thread is busy for a while, so the writer's buffers fill up
  // and libcurl is paused until they drain: back-pressure, never the image
  // in memory, nothing lost or reordered.
  Fixture f(false);
  const std::string image = pattern(6'000'000, 43);
  auto request = f.serve(image);
  bool stalled = false;
  auto& pool = f.pool;
  request.on_progress = [&](std::uint64_t, std::uint64_t) {
    // The transfer runs (the file is open): the pool's one thread sleeps
    // while the rest of the body arrives.
    if (std::exchange(stalled, true)) return;
    asio::post(pool, [] { std::this_thread::sleep_for(400ms); });
  };
  const auto outcome = f.download(request);
  REQUIRE_FALSE(outcome.ec);
  CHECK(outcome.result.bytes == image.size());
  CHECK(outcome.result.digest_hex == openssl_hex(image, DigestMethod::sha256));
  CHECK(read_file(f.staging) == image);
}

TEST_CASE("download: a staging file that cannot be written ends with io_error", "[integration][download]") {
  // /dev/full takes the open and fails every write with ENOSPC, as a full
  // disk would. Small (one partial buffer, known only at the end) and large
  // (known while the body still flows).
  for (const std::size_t size : {std::size_t{100'000}, std::size_t{5'000'000}}) {
    Fixture f(false);
    auto request = f.serve(pattern(size, 44));
    request.file = "/dev/full";
    const auto outcome = f.download(request);
    CHECK(outcome.ec == DownloadErrc::io_error);
    CHECK_THAT(outcome.result.error_detail, Catch::Contains("write to the staging file"));
    CHECK(outcome.result.digest_hex.empty());
  }
}

TEST_CASE("download: cancel_all completes with cancelled and keeps the bytes", "[integration][download]") {
  Fixture f;
  FaultSpec faults;
  faults.rate_bytes_per_s = 1'000'000;
  const std::string image = pattern(8'000'000, 41);
  auto request = f.serve(image, faults);
  std::uint64_t seen = 0;
  request.on_progress = [&](std::uint64_t done, std::uint64_t) { seen = done; };
  std::optional<Outcome> outcome;
  f.downloader->async_download(request, [&](std::error_code ec, DownloadResult r) { outcome = Outcome{ec, r}; });
  // Past two of the writer's buffers: at least one is in the file.
  run_until(f.io, [&] { return seen >= 2 * curl::StagingWriter::kChunkBytes + 100'000; });
  f.downloader->cancel_all();
  CHECK_FALSE(outcome.has_value());  // never inline
  run_until(f.io, [&] { return outcome.has_value(); });
  CHECK(outcome->ec == DownloadErrc::cancelled);
  CHECK(outcome->ec == std::errc::operation_canceled);
  // A chunk the pool was writing at the cancel may still land; after that
  // the abandoned transfer writes nothing more, and what the file holds is
  // the image's prefix, for the next attempt to resume.
  f.io.run_for(200ms);
  const auto kept = fs::file_size(f.staging);
  CHECK(kept >= curl::StagingWriter::kChunkBytes);
  CHECK(kept < image.size());
  f.io.run_for(300ms);
  CHECK(fs::file_size(f.staging) == kept);
  CHECK(read_file(f.staging) == image.substr(0, kept));
}

TEST_CASE("download: destroying the downloader cancels, completions are never inline", "[integration][download]") {
  Fixture f;
  auto request = f.serve(pattern(100'000, 42));
  std::optional<Outcome> refused;
  auto refused_request = request;
  refused_request.url = "ftp://127.0.0.1/x";
  f.downloader->async_download(refused_request, [&](std::error_code ec, DownloadResult r) { refused = Outcome{ec, r}; });
  CHECK_FALSE(refused.has_value());  // posted, even when the answer is known at once

  std::optional<Outcome> pending;
  f.downloader->async_download(request, [&](std::error_code ec, DownloadResult r) { pending = Outcome{ec, r}; });
  f.downloader.reset();
  run_until(f.io, [&] { return refused && pending; });
  CHECK(refused->ec == DownloadErrc::scheme_refused);
  CHECK(pending->ec == DownloadErrc::cancelled);
}

// ---- throughput (hidden: run with `otagw_transports_tests "[.benchmark]" -s`) --

TEST_CASE("download: 256 MB over loopback HTTP against curl -o", "[.benchmark]") {
  test_support::TempDir dir("otagw-dl-bench");
  constexpr std::size_t kSize = 256u << 20;
  {
    std::ofstream out(dir.path() / "big.bin", std::ios::binary);
    const std::string block = pattern(1 << 20, 77);
    for (std::size_t i = 0; i < kSize / block.size(); ++i) out.write(block.data(), static_cast<std::streamsize>(block.size()));
  }
  // The server on its own thread, as a separate process would be.
  asio::io_context server_io;
  FirmwareServer server(server_io, false, "", "");
  server.add_file("/big.bin", dir.path() / "big.bin");
  auto guard = asio::make_work_guard(server_io);
  std::thread server_thread([&] { server_io.run(); });
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/big.bin";

  asio::io_context io;
  asio::thread_pool pool(1);
  HttpDownloader downloader(io.get_executor(), pool.get_executor());
  DownloadRequest request;
  request.url = url;
  request.file = dir.path() / "ours.bin";
  request.expected_size = kSize;
  request.allow_http = true;
  std::optional<Outcome> outcome;
  const auto started = std::chrono::steady_clock::now();
  downloader.async_download(request, [&](std::error_code ec, DownloadResult r) { outcome = Outcome{ec, r}; });
  run_until(io, [&] { return outcome.has_value(); }, 120s);
  const double ours = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  REQUIRE_FALSE(outcome->ec);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);

  const std::string command = "curl -s -o " + (dir.path() / "curl.bin").string() + " " + url;
  const auto curl_started = std::chrono::steady_clock::now();
  REQUIRE(std::system(command.c_str()) == 0);
  const double theirs = std::chrono::duration<double>(std::chrono::steady_clock::now() - curl_started).count();
  // What curl -o leaves undone: the hash (sha256sum, then OpenSSL's) and the fsync.
  const auto timed = [](const std::string& shell) {
    const auto begin = std::chrono::steady_clock::now();
    REQUIRE(std::system(shell.c_str()) == 0);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  };
  const std::string curl_file = (dir.path() / "curl.bin").string();
  const double coreutils_hash = timed("sha256sum " + curl_file + " > /dev/null");
  const double openssl_hash = timed("openssl dgst -sha256 " + curl_file + " > /dev/null");
  const double sync = timed("sync " + curl_file);

  WARN("otagw download+SHA-256+fsync: " << ours << " s (" << kSize / ours / 1e6 << " MB/s), peak RSS "
                                        << usage.ru_maxrss / 1024 << " MB; curl -o: " << theirs << " s ("
                                        << kSize / theirs / 1e6 << " MB/s); then sha256sum " << coreutils_hash
                                        << " s, openssl dgst " << openssl_hash << " s, sync " << sync << " s");
  pool.join();
  guard.reset();
  server.stop();
  server_io.stop();
  server_thread.join();
}
