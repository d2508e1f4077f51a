#include "common/post_key.h"

#include <catch2/catch.hpp>

namespace stillpost {
namespace {

TEST_CASE("post_key: the three forms parse and format back") {
  for (const char* key :
       {"x/20", "x/1629307668568633344", "mastodon/mastodon.social/103270115826048975",
        "bsky/did:plc:z72i7hdynmk6r22z27h6tvur/3lhmggpkbw22v", "bsky/did:web:example.com/3k2a"}) {
    auto parsed = ParsePostKey(key);
    INFO(key);
    REQUIRE(parsed.has_value());
    CHECK(FormatPostKey(*parsed) == key);
  }
  auto m = ParsePostKey("mastodon/mastodon.social/123");
  REQUIRE(m);
  CHECK(m->platform == KeyPlatform::kMastodon);
  CHECK(m->host == "mastodon.social");
  CHECK(m->id == "123");
}

TEST_CASE("post_key: malformed keys are refused with a reason") {
  for (const char* key :
       {"", "x", "x/", "x/12a", "x/12345678901234567890", "y/1", "twitter/1", "mastodon/host/1",
        "mastodon/Mastodon.Social/1", "mastodon/mastodon.social/", "mastodon/a.b/1/2",
        "bsky/plc:abc/3k", "bsky/did:plc:abc/", "bsky/did:plc:abc/..", "bsky/did:plc:a/b/c",
        "x/1\n", "../etc/passwd"}) {
    INFO(key);
    auto parsed = ParsePostKey(key);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().code() == StatusCode::kInvalidArgument);
    CHECK(parsed.error().message().find("malformed post key") == 0);
  }
}

}  // namespace
}  // namespace stillpost
