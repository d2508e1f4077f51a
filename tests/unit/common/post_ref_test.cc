#include "common/post_ref.h"

#include <catch2/catch.hpp>

namespace stillpost {
namespace {

std::string KeyOrError(const std::string& input) {
  auto ref = ParsePostRef(input);
  if (!ref) return "error: " + ref.error().message();
  if (ref->NeedsResolving()) return "resolve " + ref->bsky_handle + " " + ref->bsky_rkey;
  return ref->key;
}

TEST_CASE("post_ref: Mastodon URLs on any host, by path shape") {
  CHECK(KeyOrError("https://mastodon.social/@Gargron/103270115826048975") ==
        "mastodon/mastodon.social/103270115826048975");
  CHECK(KeyOrError("https://Mastodon.Social/@Gargron/103270115826048975/embed") ==
        "mastodon/mastodon.social/103270115826048975");
  // A remote post viewed on another server: its id is that server's.
  CHECK(KeyOrError("https://hachyderm.io/@bob@mastodon.social/110000000000000001") ==
        "mastodon/hachyderm.io/110000000000000001");
  CHECK(KeyOrError("https://mastodon.social/users/Gargron/statuses/103270115826048975") ==
        "mastodon/mastodon.social/103270115826048975");
  CHECK(KeyOrError("https://social.example.org/users/a_b/statuses/5/embed") ==
        "mastodon/social.example.org/5");
  for (const char* not_a_post :
       {"https://mastodon.social/@Gargron", "https://mastodon.social/@Gargron/with_replies",
        "https://mastodon.social/@Gargron/1/2", "https://mastodon.social/tags/caturday",
        "https://www.youtube.com/@someone/videos", "https://mastodon.social:8443/@a/1",
        "https://mastodon.social/@/1", "ftp://mastodon.social/@a/1"}) {
    INFO(not_a_post);
    CHECK(KeyOrError(not_a_post).rfind("error: ", 0) == 0);
  }
}

TEST_CASE("post_ref: Bluesky URLs and at:// URIs, by DID or by handle") {
  CHECK(KeyOrError("https://bsky.app/profile/did:plc:abc123/post/3lhmggpkbw22v") ==
        "bsky/did:plc:abc123/3lhmggpkbw22v");
  CHECK(KeyOrError("https://bsky.app/profile/did%3Aplc%3Aabc123/post/3lhmggpkbw22v") ==
        "bsky/did:plc:abc123/3lhmggpkbw22v");
  CHECK(KeyOrError("at://did:plc:abc123/app.bsky.feed.post/3lhmggpkbw22v") ==
        "bsky/did:plc:abc123/3lhmggpkbw22v");
  CHECK(KeyOrError("https://embed.bsky.app/embed/did:plc:abc123/app.bsky.feed.post/3lhm") ==
        "bsky/did:plc:abc123/3lhm");
  CHECK(KeyOrError("https://bsky.app/profile/Alice.bsky.social/post/3lhmggpkbw22v?ref_src=embed") ==
        "resolve alice.bsky.social 3lhmggpkbw22v");
  CHECK(KeyOrError("at://alice.bsky.social/app.bsky.feed.post/3lhm") ==
        "resolve alice.bsky.social 3lhm");
  CHECK(KeyOrError("https://bsky.app/profile/alice.bsky.social") ==
        "error: not a Bluesky post: https://bsky.app/profile/alice.bsky.social (a profile, not a "
        "post)");
  CHECK(KeyOrError("at://did:plc:abc/app.bsky.feed.like/3lhm").rfind("error: ", 0) == 0);
  CHECK(KeyOrError("at://did:plc:abc/app.bsky.feed.post/a/b").rfind("error: ", 0) == 0);
  CHECK(KeyOrError("https://bsky.app/profile/not_a_handle/post/3lhm").rfind("error: ", 0) == 0);
  CHECK(KeyOrError("https://bsky.app/profile/did:plc:abc/post/..").rfind("error: ", 0) == 0);
}

TEST_CASE("post_ref: X, keys, and the reasons for what is none of them") {
  CHECK(KeyOrError("https://x.com/u/status/20") == "x/20");
  CHECK(KeyOrError("20") == "x/20");
  CHECK(KeyOrError("mastodon/mastodon.social/1") == "mastodon/mastodon.social/1");
  CHECK(KeyOrError("https://x.com/u") ==
        "error: not an X post: https://x.com/u (a profile, not a post)");
  CHECK(KeyOrError("https://news.example/story") ==
        "error: not a post: https://news.example/story (expected an X, Mastodon or Bluesky post "
        "URL, a post key such as x/20, or an X id)");
  auto handle = PostKeyFromRef("https://bsky.app/profile/alice.bsky.social/post/3lhm");
  REQUIRE_FALSE(handle);
  CHECK(handle.error().message().find("must be resolved") != std::string::npos);
  CHECK(*PostKeyFromRef("at://did:plc:abc/app.bsky.feed.post/3lhm") == "bsky/did:plc:abc/3lhm");
}

}  // namespace
}  // namespace stillpost
