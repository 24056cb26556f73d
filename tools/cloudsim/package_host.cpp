#include "tools/cloudsim/package_host.hpp"

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include "tools/pki/local_pki.hpp"
#include "transports/digest.hpp"

namespace otagw::cloudsim {
namespace {

// A valid hex digest that is certainly not `digest`: its last digit moved on by one.
std::string wrong(std::string digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  if (digest.empty()) return digest;
  char& last = digest.back();
  const auto at = std::string_view(kHex).find(last);
  last = kHex[(at == std::string_view::npos ? 0 : at + 1) % 16];
  return digest;
}

// The server, or a runtime_error that says which address and port could not be had.
std::unique_ptr<FirmwareServer> start_server(boost::asio::io_context& io, bool tls, const std::string& cert,
                                             const std::string& key, std::uint16_t port, const std::string& host) {
  try {
    return std::make_unique<FirmwareServer>(io, tls, cert, key, port, host);
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error(std::string(tls ? "HTTPS" : "HTTP") + " firmware server on " + host + ":" +
                             std::to_string(port) + ": " + e.code().message());
  }
}

}  // namespace

std::string offer_url(bool https, const std::string& host, std::uint16_t port, const std::string& path) {
  const auto expires = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch() + std::chrono::hours(24))
                           .count();
  const bool default_port = port == (https ? 443 : 80);
  return std::string(https ? "https://" : "http://") + host + (default_port ? "" : ":" + std::to_string(port)) + path +
         "?Expires=" + std::to_string(expires) + "&OSSAccessKeyId=otagw-cloudsim&Signature=sim";
}

void write_generated_package(const std::filesystem::path& file, std::uint64_t size, std::uint64_t seed) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot create " + file.string());
  std::vector<unsigned char> chunk(1 << 20);
  std::uint64_t state = seed;
  std::uint64_t written = 0;
  while (written < size) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), size - written));
    for (std::size_t i = 0; i < n; i += 8) {
      // splitmix64
      state += 0x9E3779B97F4A7C15ULL;
      std::uint64_t z = state;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      z ^= z >> 31;
      for (std::size_t b = 0; b < 8 && i + b < n; ++b) chunk[i + b] = static_cast<unsigned char>(z >> (8 * b));
    }
    out.write(reinterpret_cast<const char*>(chunk.data()), static_cast<std::streamsize>(n));
    written += n;
  }
  if (!out.flush()) throw std::runtime_error("cannot write " + file.string());
}

PackageHost::PackageHost(boost::asio::io_context& io, const Scenario& scenario, const std::filesystem::path& work_dir,
                         const FirmwareListen& listen) {
  if (scenario.packages.empty()) return;
  bool want_http = false, want_https = false;
  for (const auto& [name, spec] : scenario.packages) {
    ServedPackage package;
    package.name = name;
    package.version = spec.version;
    package.https = spec.https;
    package.url_path = "/fw/" + name + ".bin";
    if (spec.file.empty()) {
      std::filesystem::create_directories(work_dir / "packages");
      package.file = work_dir / "packages" / (name + ".bin");
      write_generated_package(package.file, spec.generate_size, spec.generate_seed);
    } else {
      package.file = spec.file;
    }
    std::error_code ec;
    package.size = std::filesystem::file_size(package.file, ec);
    if (ec) throw std::runtime_error("package " + name + ": cannot read " + package.file.string() + ": " + ec.message());
    const auto method = transports::parse_digest_method(spec.sign_method);
    if (!method) throw std::runtime_error("package " + name + ": unknown signMethod " + spec.sign_method);
    auto digest = transports::file_digest_hex(package.file, *method);
    if (!digest) {
      throw std::runtime_error("package " + name + ": cannot hash " + package.file.string() + ": " +
                               digest.error().message());
    }
    package.digest = std::move(*digest);
    package.sign = spec.wrong_digest ? wrong(package.digest) : package.digest;
    (spec.https ? want_https : want_http) = true;
    packages_.push_back(std::move(package));
  }
  if (want_https) {
    std::filesystem::create_directories(work_dir);
    const pki::LocalPki pki = pki::make_local_pki(work_dir, listen.host);
    ca_file_ = pki.ca_cert;
    https_ = start_server(io, true, pki.server_cert, pki.server_key, listen.https_port, listen.host);
  }
  if (want_http) http_ = start_server(io, false, std::string(), std::string(), listen.http_port, listen.host);
  for (auto& package : packages_) {
    FirmwareServer& server = package.https ? *https_ : *http_;
    package.url = offer_url(package.https, listen.host, server.port(), package.url_path);
    server.add_file(package.url_path, package.file, scenario.packages.at(package.name).faults);
  }
}

PackageHost::~PackageHost() { stop(); }

void PackageHost::stop() {
  if (http_) http_->stop();
  if (https_) https_->stop();
}

Scenario PackageHost::resolve(Scenario scenario) const {
  for (auto& device : scenario.devices) {
    for (auto& module : device.modules) {
      if (module.package.empty()) continue;
      const auto& spec = scenario.packages.at(module.package);
      for (const auto& package : packages_) {
        if (package.name != module.package) continue;
        Firmware firmware;
        firmware.version = package.version;
        firmware.size = package.size;
        firmware.url = package.url;
        firmware.sign_method = spec.sign_method;
        firmware.sign = package.sign;
        firmware.is_diff = spec.is_diff;
        firmware.ext_data = spec.ext_data;
        module.firmware = std::move(firmware);
      }
    }
  }
  return scenario;
}

}  // namespace otagw::cloudsim
