#pragma once
// A throw-away PKI for loopback TLS tests: a CA and a server certificate for "localhost"
// (SAN DNS:localhost, IP:127.0.0.1), EC P-256, valid from an hour ago for a week.

#include <filesystem>
#include <string>

namespace otagw::test_support {

// Paths of the PEM files make_test_pki wrote.
struct TestPki {
  std::string ca_cert;      // the CA certificate: what a client trusts
  std::string server_cert;  // the server certificate, signed by the CA
  std::string server_key;   // the server's private key (PKCS#8, unencrypted)
};

// Generates fresh keys and certificates (new each call, so two PKIs never trust each
// other) and writes ca.pem, server.pem and server.key into `dir`, which must exist.
// Throws std::runtime_error with OpenSSL's error queue on failure.
TestPki make_test_pki(const std::filesystem::path& dir);

}  // namespace otagw::test_support
