#pragma once
// A throw-away PKI for loopback TLS: a CA and a server certificate for
// "localhost" (SAN DNS:localhost, IP:127.0.0.1), EC P-256, valid from an hour
// ago for 30 days. otagw-cloudsim's firmware server makes a fresh one per run
// (point otagwd's ota.download_ca_file at ca_cert); tests make one per broker
// or server.
#include <filesystem>
#include <string>

namespace otagw::pki {

struct LocalPki {
  std::string ca_cert;      // the CA certificate (PEM): what a client trusts
  std::string server_cert;  // the server certificate, signed by the CA
  std::string server_key;   // its private key (PKCS#8, unencrypted, mode 0600)
};

// Writes ca.pem, server.pem and server.key into `dir`, which must exist.
// `extra_ip` (an IPv4 address, e.g. a LAN address a device fetches from) is
// added to the server certificate's names when given. Throws
// std::runtime_error with OpenSSL's error queue on failure.
[[nodiscard]] LocalPki make_local_pki(const std::filesystem::path& dir, const std::string& extra_ip = {});

}  // namespace otagw::pki
