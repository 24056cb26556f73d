#pragma once
// How a libcurl failure maps onto DownloadErrc.
#include <curl/curl.h>

#include "transports/download_error.hpp"

namespace otagw::transports::curl {

// `body_started`: some of the body had arrived, so a lost connection means the
// body came short (size_mismatch) rather than no answer (connect_failed).
[[nodiscard]] DownloadErrc errc_for_curl(CURLcode rc, bool body_started) noexcept;

}  // namespace otagw::transports::curl
