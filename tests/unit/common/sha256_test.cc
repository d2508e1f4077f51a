#include "common/sha256.h"

#include <catch2/catch.hpp>

namespace stillpost {
namespace {

TEST_CASE("sha256: known digests (FIPS 180-2 examples), whole and in pieces") {
  CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 h;
  h.Update("a");
  h.Update("bc");
  CHECK(h.FinishHex() == Sha256Hex("abc"));
  CHECK(IsSha256Hex(Sha256Hex("x")));
  CHECK_FALSE(IsSha256Hex("ABC"));
  CHECK_FALSE(IsSha256Hex(std::string(64, 'g')));
}

}  // namespace
}  // namespace stillpost
