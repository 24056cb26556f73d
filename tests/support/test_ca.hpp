#pragma once
// A test CA and a server certificate for localhost / 127.0.0.1: the same
// throw-away PKI the cloud simulator's firmware server uses.
#include <filesystem>

#include "tools/pki/local_pki.hpp"

namespace otagw::test_support {

using TestPki = pki::LocalPki;

// Writes ca.pem, server.pem and server.key into `dir`; throws std::runtime_error.
inline TestPki make_test_pki(const std::filesystem::path& dir) { return pki::make_local_pki(dir); }

}  // namespace otagw::test_support
