#include "common/sha256.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <boost/algorithm/hex.hpp>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <memory>

namespace stillpost {
namespace {

using Digest = std::array<unsigned char, EVP_MAX_MD_SIZE>;

// OpenSSL's one-shot digest fails only when it cannot allocate or load its default provider: a
// process in that state cannot name a blob, and storing one under a wrong name would be worse
// than stopping. So it stops, saying why, rather than throw through callers that promise not to.
unsigned int DigestOrDie(std::string_view data, Digest& digest) {
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &len, EVP_sha256(), nullptr) != 1) {
    std::fputs("stillpost: OpenSSL cannot compute SHA-256 (out of memory?)\n", stderr);
    std::abort();
  }
  return len;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  Digest digest{};
  const unsigned int len = DigestOrDie(data, digest);
  std::string out;
  out.reserve(2 * len);
  boost::algorithm::hex_lower(digest.begin(), digest.begin() + len, std::back_inserter(out));
  return out;
}

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr ||
      EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) != 1) {
    std::fputs("stillpost: OpenSSL cannot compute SHA-256 (out of memory?)\n", stderr);
    std::abort();
  }
}

Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256Hasher::Update(std::string_view data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}

std::string Sha256Hasher::HexDigest() const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> copy(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  Digest digest{};
  unsigned int len = 0;
  if (!copy || EVP_MD_CTX_copy_ex(copy.get(), static_cast<EVP_MD_CTX*>(ctx_)) != 1 ||
      EVP_DigestFinal_ex(copy.get(), digest.data(), &len) != 1) {
    std::fputs("stillpost: OpenSSL cannot compute SHA-256 (out of memory?)\n", stderr);
    std::abort();
  }
  std::string out;
  boost::algorithm::hex_lower(digest.begin(), digest.begin() + len, std::back_inserter(out));
  return out;
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  Digest digest{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(),
           &len) == nullptr) {
    std::fputs("stillpost: OpenSSL cannot compute HMAC-SHA256 (out of memory?)\n", stderr);
    std::abort();
  }
  std::string out;
  out.reserve(2 * len);
  boost::algorithm::hex_lower(digest.begin(), digest.begin() + len, std::back_inserter(out));
  return out;
}

std::string Sha256Base64(std::string_view data) {
  Digest digest{};
  const unsigned int len = DigestOrDie(data, digest);
  std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> out{};
  const int n = EVP_EncodeBlock(out.data(), digest.data(), static_cast<int>(len));
  return std::string(reinterpret_cast<const char*>(out.data()), static_cast<size_t>(n));
}

bool IsSha256Hex(std::string_view s) {
  return s.size() == kSha256HexLength && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace stillpost
