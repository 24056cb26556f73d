#include "transports/download_error.hpp"

#include <string>

namespace otagw::transports {
namespace {

class DownloadCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "otagw.download"; }

  std::string message(int value) const override {
    switch (static_cast<DownloadErrc>(value)) {
      case DownloadErrc::scheme_refused: return "URL scheme refused (https only)";
      case DownloadErrc::bad_url: return "malformed download URL";
      case DownloadErrc::http_status: return "unexpected HTTP status";
      case DownloadErrc::too_large: return "download larger than expected";
      case DownloadErrc::size_mismatch: return "download size does not match";
      case DownloadErrc::timed_out: return "download timed out";
      case DownloadErrc::connect_failed: return "could not connect to the download server";
      case DownloadErrc::tls_failed: return "TLS handshake with the download server failed";
      case DownloadErrc::io_error: return "staging file I/O error";
      case DownloadErrc::cancelled: return "download cancelled";
      case DownloadErrc::transfer_failed: return "download failed";
      case DownloadErrc::host_refused: return "download host not allowed";
    }
    return "unknown download error " + std::to_string(value);
  }

  // Lets callers test `ec == std::errc::operation_canceled` whatever cancelled.
  std::error_condition default_error_condition(int value) const noexcept override {
    if (static_cast<DownloadErrc>(value) == DownloadErrc::cancelled) {
      return std::make_error_condition(std::errc::operation_canceled);
    }
    return {value, *this};
  }
};

}  // namespace

const std::error_category& download_category() noexcept {
  static const DownloadCategory category;
  return category;
}

}  // namespace otagw::transports
