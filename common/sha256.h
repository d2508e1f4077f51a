// SHA-256 digests (OpenSSL) as lower-case hex, the names of blobs in the archive.
// Thread safety: pure functions. They never throw: a process where OpenSSL cannot digest
// (out of memory) stops with a message instead (sha256.cc says why).
#pragma once

#include <string>
#include <string_view>

namespace stillpost {

inline constexpr size_t kSha256HexLength = 64;

std::string Sha256Hex(std::string_view data);

// The digest as standard base64 (for Content-Security-Policy hashes).
std::string Sha256Base64(std::string_view data);

// HMAC-SHA256 of `data` keyed with `key`, as lower-case hex (webhook signatures).
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// SHA-256 of bytes given in pieces (a file written as it is made).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::string_view data);
  // Lower-case hex of everything given so far.
  std::string HexDigest() const;

 private:
  void* ctx_;  // EVP_MD_CTX
};

// True for 64 lower-case hex digits.
bool IsSha256Hex(std::string_view s);

}  // namespace stillpost
