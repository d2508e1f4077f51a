// The signatures a store's manifests and WACZ packages carry: P-384, SHA-256, r||s.
#include "common/crypto.h"

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.h"

namespace stillpost {
namespace {

TEST_CASE("crypto: a P-384 signature verifies with its key and no other, and not for other bytes") {
  auto a = GenerateP384Key();
  auto b = GenerateP384Key();
  REQUIRE_OK(a);
  REQUIRE_OK(b);
  auto sig = SignP384(a->private_pkcs8, "sha256:abc");
  REQUIRE_OK(sig);
  CHECK(sig->size() == 96);  // r||s, 48 bytes each: what WebCrypto's ECDSA verify takes
  CHECK(*VerifyP384(a->public_spki, "sha256:abc", *sig));
  CHECK_FALSE(*VerifyP384(a->public_spki, "sha256:abd", *sig));
  CHECK_FALSE(*VerifyP384(b->public_spki, "sha256:abc", *sig));
  std::string flipped = *sig;
  flipped[10] = static_cast<char>(flipped[10] ^ 1);
  CHECK_FALSE(*VerifyP384(a->public_spki, "sha256:abc", flipped));
  CHECK_FALSE(*VerifyP384(a->public_spki, "sha256:abc", sig->substr(1)));
  CHECK(VerifyP384("not a key", "x", *sig).error().code() == StatusCode::kInvalidArgument);
  CHECK(SignP384(a->public_spki, "x").error().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("crypto: base64 round-trips every length and refuses what is not base64") {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    const std::string enc = Base64Encode(bytes);
    auto dec = Base64Decode(enc);
    REQUIRE_OK(dec);
    CHECK(*dec == bytes);
    bytes.push_back(static_cast<char>(i * 37));
  }
  CHECK(Base64Encode("hello") == "aGVsbG8=");  // RFC 4648's alphabet and padding
  CHECK_FALSE(Base64Decode("abc").has_value());
  CHECK_FALSE(Base64Decode("ab!=").has_value());
}

}  // namespace
}  // namespace stillpost
