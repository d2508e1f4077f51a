#include "common/sha256.h"

#include <catch2/catch.hpp>

namespace stillpost {
namespace {

TEST_CASE("sha256: known digests (FIPS 180-2 examples), hex and base64") {
  CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // The CSP form: the same digest, standard base64 with padding.
  CHECK(Sha256Base64("abc") == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
  CHECK(Sha256Base64("") == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  CHECK(IsSha256Hex(Sha256Hex("x")));
  CHECK_FALSE(IsSha256Hex("ABC"));
  CHECK_FALSE(IsSha256Hex(std::string(64, 'g')));
  CHECK_FALSE(IsSha256Hex(std::string(64, 'A')));
  CHECK_FALSE(IsSha256Hex(std::string(63, 'a')));
}

}  // namespace
}  // namespace stillpost
