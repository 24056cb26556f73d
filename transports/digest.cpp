#include "transports/digest.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <new>
#include <vector>

namespace otagw::transports {
namespace {

const EVP_MD* evp_for(DigestMethod method) noexcept {
  return method == DigestMethod::md5 ? EVP_md5() : EVP_sha256();
}

EVP_MD_CTX* as_ctx(void* context) noexcept { return static_cast<EVP_MD_CTX*>(context); }

bool iequals(std::string_view a, std::string_view b) noexcept {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return lower(x) == lower(y);
  });
}

}  // namespace

std::string_view to_string(DigestMethod method) noexcept {
  return method == DigestMethod::md5 ? "md5" : "sha256";
}

std::optional<DigestMethod> parse_digest_method(std::string_view sign_method) noexcept {
  if (iequals(sign_method, "md5")) return DigestMethod::md5;
  if (iequals(sign_method, "sha256")) return DigestMethod::sha256;
  return std::nullopt;
}

void Digest::ContextDeleter::operator()(void* context) const noexcept { EVP_MD_CTX_free(as_ctx(context)); }

Digest::Digest(DigestMethod method) : method_(method), context_(EVP_MD_CTX_new()) {
  if (!context_) throw std::bad_alloc();
  reset();
}

Digest::~Digest() = default;
Digest::Digest(Digest&& other) noexcept = default;
Digest& Digest::operator=(Digest&& other) noexcept = default;

void Digest::reset() {
  // Only fails on allocation failure or a provider without the algorithm,
  // neither of which the daemon can recover from.
  if (EVP_DigestInit_ex(as_ctx(context_.get()), evp_for(method_), nullptr) != 1) throw std::bad_alloc();
}

void Digest::update(const void* data, std::size_t size) {
  if (size != 0) EVP_DigestUpdate(as_ctx(context_.get()), data, size);
}

std::string Digest::finish_hex() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> raw{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(as_ctx(context_.get()), raw.data(), &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[raw[i] >> 4]);
    hex.push_back(kHex[raw[i] & 0x0f]);
  }
  reset();
  return hex;
}

std::error_code hash_file_prefix(int fd, std::uint64_t length, Digest& digest) {
  // 1 MiB: large enough that syscalls do not matter next to hashing.
  std::vector<unsigned char> buffer(std::size_t{1} << 20);
  std::uint64_t offset = 0;
  while (offset < length) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), length - offset));
    const ssize_t got = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset));
    if (got < 0) {
      if (errno == EINTR) continue;
      return {errno, std::generic_category()};
    }
    if (got == 0) return std::make_error_code(std::errc::io_error);  // the file shrank under us
    digest.update(buffer.data(), static_cast<std::size_t>(got));
    offset += static_cast<std::uint64_t>(got);
  }
  return {};
}

Expected<std::string> file_digest_hex(const std::filesystem::path& file, DigestMethod method) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error({errno, std::generic_category()}, "open " + file.string());
  Digest digest(method);
  std::error_code ec;
  const off_t size = ::lseek(fd, 0, SEEK_END);
  if (size < 0) {
    ec = {errno, std::generic_category()};
  } else {
    ec = hash_file_prefix(fd, static_cast<std::uint64_t>(size), digest);
  }
  ::close(fd);
  if (ec) return make_error(ec, "read " + file.string());
  return digest.finish_hex();
}

}  // namespace otagw::transports
