#pragma once
// The scenario's packages, served by the simulator itself: generated ones
// are written to disk, every one is measured and hashed (MD5 or SHA-256, by
// its signMethod), and the firmware server serves them over HTTPS (with a
// fresh PKI of its own) and/or HTTP, on free 127.0.0.1 ports unless
// FirmwareListen says otherwise, each with its package's faults. resolve() then puts the offers' firmware objects (size,
// sign, url) into the modules that name a package.
//
// Threading: construct, resolve and stop on the io_context's thread (or
// before it runs).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tools/cloudsim/firmware_server/firmware_server.hpp"
#include "tools/cloudsim/scenario.hpp"
#include "tools/cloudsim/server_options.hpp"

namespace otagw::cloudsim {

struct ServedPackage {
  std::string name;
  std::string version;
  std::filesystem::path file;
  std::uint64_t size = 0;
  std::string digest;  // the file's real digest, lower-case hex, by sign_method
  std::string sign;    // what the offer says: the digest, or a wrong one (faults.wrong_digest)
  std::string url_path;  // "/fw/{name}.bin"
  std::string url;       // the offer's url: scheme, host, port, url_path and a query string
  bool https = true;
};

// The bytes of `generate: {size, seed}`: the splitmix64 sequence started at
// `seed`, each 64-bit output little-endian, cut to `size` bytes.
void write_generated_package(const std::filesystem::path& file, std::uint64_t size, std::uint64_t seed);

// An offer's URL, shaped like the platform's signed OSS URLs (a query string
// the server ignores). The scheme's default port (80, 443) is left out, as
// the platform's URLs have none and the Linkkit v3.2 SDK fetches no other.
[[nodiscard]] std::string offer_url(bool https, const std::string& host, std::uint16_t port, const std::string& path);

class PackageHost {
 public:
  // Writes generated packages to work_dir/packages/{name}.bin, hashes every
  // package, and, when there is at least one, starts the servers the
  // packages' schemes need (HTTPS: ca.pem, server.pem, server.key in
  // work_dir, naming `listen.host` too). Throws std::runtime_error naming the
  // package or the problem (a port in use, an address not on this machine).
  PackageHost(boost::asio::io_context& io, const Scenario& scenario, const std::filesystem::path& work_dir,
              const FirmwareListen& listen = {});
  ~PackageHost();
  PackageHost(const PackageHost&) = delete;
  PackageHost& operator=(const PackageHost&) = delete;

  // `scenario` with the firmware of every module that names a package.
  [[nodiscard]] Scenario resolve(Scenario scenario) const;

  [[nodiscard]] const std::vector<ServedPackage>& packages() const noexcept { return packages_; }
  // The CA that signed the HTTPS server's certificate; empty without HTTPS.
  [[nodiscard]] const std::filesystem::path& ca_file() const noexcept { return ca_file_; }
  [[nodiscard]] std::uint16_t http_port() const noexcept { return http_ ? http_->port() : 0; }
  [[nodiscard]] std::uint16_t https_port() const noexcept { return https_ ? https_->port() : 0; }
  // nullptr when that scheme is not served.
  [[nodiscard]] FirmwareServer* server(bool https) noexcept { return https ? https_.get() : http_.get(); }

  void stop();

 private:
  std::vector<ServedPackage> packages_;
  std::filesystem::path ca_file_;
  std::unique_ptr<FirmwareServer> http_;
  std::unique_ptr<FirmwareServer> https_;
};

}  // namespace otagw::cloudsim
