// SHA-256 digests as lower-case hex, the names of blobs in the archive.
// Sha256Hex() for a whole buffer; Sha256 for data that arrives in pieces (a download).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace stillpost {

inline constexpr size_t kSha256HexLength = 64;

std::string Sha256Hex(std::string_view data);

// The digest as standard base64 (for Content-Security-Policy hashes).
std::string Sha256Base64(std::string_view data);

// True for 64 lower-case hex digits.
bool IsSha256Hex(std::string_view s);

// Incremental hashing. Not thread-safe; one object per stream.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view data);
  // The digest of everything given so far; the object is reset afterwards.
  std::string FinishHex();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace stillpost
