#pragma once
// The firmware server of otagw-cloudsim on its own thread, for job tests:
// serves generated images over plain HTTP on loopback, with faults.
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "tools/cloudsim/firmware_server/firmware_server.hpp"
#include "transports/digest.hpp"

namespace otagw::sweep_test {

class FirmwareHost {
 public:
  explicit FirmwareHost(std::filesystem::path dir) : dir_(std::move(dir)), server_(io_, false, {}, {}) {
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FirmwareHost() {
    boost::asio::post(io_, [this] { server_.stop(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  struct Image {
    std::string url_path;
    std::filesystem::path file;
    std::uint64_t size;
    std::string sha256;
    std::string md5;
  };

  // `size` random bytes (fixed seed per name), served at /fw/<name>.
  Image add(const std::string& name, std::uint64_t size, cloudsim::FaultSpec faults = {}) {
    Image image{"/fw/" + name, dir_ / name, size, {}, {}};
    {
      std::mt19937_64 random(std::hash<std::string>{}(name));
      std::ofstream out(image.file, std::ios::binary);
      for (std::uint64_t i = 0; i < size; ++i) out.put(static_cast<char>(random() & 0xff));
    }
    image.sha256 = transports::file_digest_hex(image.file, transports::DigestMethod::sha256).value();
    image.md5 = transports::file_digest_hex(image.file, transports::DigestMethod::md5).value();
    boost::asio::post(io_, [this, image, faults] { server_.add_file(image.url_path, image.file, faults); });
    return image;
  }

  void set_faults(const std::string& url_path, cloudsim::FaultSpec faults) {
    boost::asio::post(io_, [this, url_path, faults] { server_.set_faults(url_path, faults); });
  }

  [[nodiscard]] std::string url(const Image& image) const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + image.url_path;
  }
  // Counters are read across threads only after the daemon has exited.
  [[nodiscard]] std::uint64_t requests(const Image& image) const { return server_.requests(image.url_path); }
  [[nodiscard]] std::vector<std::string> ranges(const Image& image) const {
    return server_.range_headers(image.url_path);
  }

 private:
  std::filesystem::path dir_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io_.get_executor()};
  cloudsim::FirmwareServer server_;
  std::thread thread_;
};

// The scenario's inline firmware object for an image.
inline std::string firmware_yaml(const FirmwareHost& host, const FirmwareHost::Image& image, const std::string& version,
                                 bool md5 = false, const std::string& extra = {}) {
  return "firmware: {version: \"" + version + "\", size: " + std::to_string(image.size) + ", url: \"" +
         host.url(image) + "\", signMethod: " + (md5 ? "Md5" : "SHA256") + ", sign: \"" +
         (md5 ? image.md5 : image.sha256) + "\"" + (extra.empty() ? "" : ", " + extra) + "}";
}

}  // namespace otagw::sweep_test
