#include "transports/curl/curl_errors.hpp"

namespace otagw::transports::curl {

DownloadErrc errc_for_curl(CURLcode rc, bool body_started) noexcept {
  switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:  // CURLOPT_PROTOCOLS_STR, behind our own scheme check
      return DownloadErrc::scheme_refused;
    case CURLE_URL_MALFORMAT:
      return DownloadErrc::bad_url;
    case CURLE_OPERATION_TIMEDOUT:  // CURLOPT_CONNECTTIMEOUT or CURLOPT_LOW_SPEED_TIME
      return DownloadErrc::timed_out;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return DownloadErrc::connect_failed;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
      return DownloadErrc::tls_failed;
    case CURLE_PARTIAL_FILE:  // closed before Content-Length bytes
      return DownloadErrc::size_mismatch;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
      return body_started ? DownloadErrc::size_mismatch : DownloadErrc::connect_failed;
    case CURLE_WRITE_ERROR:  // the write callback refused data without saying why
      return DownloadErrc::io_error;
    default:
      return DownloadErrc::transfer_failed;
  }
}

}  // namespace otagw::transports::curl
