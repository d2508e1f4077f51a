// The adapters behind fetcher/adapter.h, fed real recorded answers: what each network's first
// request is, what its answers mean, and its fallbacks and lookups.
#include "fetcher/adapter.h"

#include <catch2/catch.hpp>
#include <set>

#include "tests/support/fixtures.h"

namespace stillpost::fetcher {
namespace {

using Kind = Answer::Kind;

Result<HttpResponse> Http(long status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

ParsedPostKey Key(const std::string& key) {
  auto k = ParsePostKey(key);
  REQUIRE(k);
  return *k;
}

TEST_CASE("adapters: one per platform, in one table") {
  std::set<KeyPlatform> seen;
  for (const Adapter* a : Adapters()) seen.insert(a->platform());
  CHECK(seen ==
        std::set<KeyPlatform>{KeyPlatform::kX, KeyPlatform::kMastodon, KeyPlatform::kBluesky});
  CHECK(Adapters().size() == seen.size());
  for (KeyPlatform p : seen) CHECK(AdapterFor(p).platform() == p);
}

TEST_CASE("adapters: X asks syndication, maps it, and falls back to oEmbed text") {
  const Adapter& x = AdapterFor(KeyPlatform::kX);
  const ParsedPostKey key = Key("x/1641086480675225601");
  CHECK(x.PostUrl(key).rfind(
            "https://cdn.syndication.twimg.com/tweet-result?id=1641086480675225601", 0) == 0);
  const PostRef ref;
  Answer a = x.Interpret(
      key, ref, Http(200, testing::Fixture("upstream/x/photo_single_with_url_entity.json")));
  REQUIRE(a.kind == Kind::kPost);
  CHECK(a.mapped.post.key() == "x/1641086480675225601");
  CHECK_FALSE(a.raw_body.empty());

  a = x.Interpret(key, ref, Http(404, "{}"));
  CHECK(a.kind == Kind::kGone);
  CHECK(a.mapped.tombstone.kind() == proto::Tombstone::KIND_NOT_FOUND);

  // Another post's answer is a failure, not this post.
  a = x.Interpret(Key("x/20"), ref,
                  Http(200, testing::Fixture("upstream/x/photo_single_with_url_entity.json")));
  CHECK(a.kind == Kind::kFailed);
  CHECK(a.why == "syndication answered with post 1641086480675225601 for 20");

  // Syndication failing: oEmbed next, unless the address was refused.
  CHECK(x.Interpret(key, ref, Http(503, "")).kind == Kind::kFallback);
  CHECK(x.Interpret(key, ref, UnavailableError("reset")).kind == Kind::kFallback);
  CHECK(x.Interpret(key, ref, PermissionDeniedError("refused")).kind == Kind::kFailed);
  CHECK(x.FallbackUrl(key) ==
        "https://publish.twitter.com/oembed?url=https%3A%2F%2Ftwitter.com%2Fi%2Fstatus%2F"
        "1641086480675225601&omit_script=true&dnt=true");
  a = x.InterpretFallback(
      key, "syndication: HTTP 503",
      Http(200, testing::Fixture("replay/publish.twitter.com/oembed/1641086480675225601.json")));
  REQUIRE(a.kind == Kind::kPost);
  CHECK(a.mapped.post.author().handle() == "SamuelSusla");
  CHECK(a.mapped.post.text().rfind("If you are interested about View Flattening", 0) == 0);
  CHECK(a.partial_reason == "text only, from oEmbed (syndication: HTTP 503)");
  a = x.InterpretFallback(key, "syndication: HTTP 503", Http(200, "{\"html\": 3}"));
  CHECK(a.kind == Kind::kFailed);
  CHECK(a.why == "syndication: HTTP 503; oEmbed: malformed answer");
}

TEST_CASE("adapters: Mastodon answers 404 for gone, and a host that is not Mastodon is no post") {
  const Adapter& m = AdapterFor(KeyPlatform::kMastodon);
  const ParsedPostKey key = Key("mastodon/mastodon.social/103270115826048975");
  CHECK(m.PostUrl(key) == "https://mastodon.social/api/v1/statuses/103270115826048975");
  PostRef verified;
  Answer a = m.Interpret(key, verified, Http(404, "{\"error\":\"Record not found\"}"));
  CHECK(a.kind == Kind::kGone);
  a = m.Interpret(key, verified,
                  Http(401, "{\"error\":\"This method requires an authenticated user\"}"));
  CHECK(a.kind == Kind::kFailed);
  CHECK(a.why == "https://mastodon.social/api/v1/statuses/103270115826048975: HTTP 401");

  PostRef link;  // a Mastodon-shaped link in an article
  link.unverified = true;
  a = m.Interpret(key, link, Http(200, "<html>a blog</html>"));
  CHECK(a.kind == Kind::kNotAPost);
  CHECK(a.why == "mastodon.social does not answer the Mastodon API (HTTP 200, not JSON)");
  a = m.Interpret(key, link, Http(404, "{\"error\":\"Record not found\"}"));
  CHECK(a.kind == Kind::kGone);  // a JSON error is Mastodon's own answer
  a = m.Interpret(key, link,
                  Http(200, testing::Fixture(
                                "replay/mastodon.social/api/v1/statuses/103270115826048975.json")));
  CHECK(a.kind == Kind::kPost);
  CHECK(a.mapped.post.key() == "mastodon/mastodon.social/103270115826048975");
}

TEST_CASE("adapters: Bluesky resolves handles, verifies authors and finds video blobs on the PDS") {
  const Adapter& b = AdapterFor(KeyPlatform::kBluesky);
  PostRef by_handle;
  by_handle.bsky_handle = "alice.bsky.social";
  by_handle.bsky_rkey = "3abc";
  auto lookup = b.ResolveRef(by_handle);
  REQUIRE(lookup);
  CHECK(lookup->url ==
        "https://public.api.bsky.app/xrpc/"
        "com.atproto.identity.resolveHandle?handle=alice.bsky.social");
  CHECK(*lookup->parse("{\"did\":\"did:plc:abc\"}") == "did:plc:abc");
  CHECK(*b.KeyFromResolved(by_handle, "did:plc:abc") == "bsky/did:plc:abc/3abc");
  // X and Mastodon resolve nothing; a key needs no resolving.
  CHECK_FALSE(AdapterFor(KeyPlatform::kX).ResolveRef(by_handle));
  PostRef keyed;
  keyed.key = "bsky/did:plc:abc/3abc";
  CHECK_FALSE(b.ResolveRef(keyed));

  proto::Post post;
  post.mutable_author()->set_handle("Alice.bsky.social");
  post.mutable_author()->set_id("did:plc:abc");
  auto verify = b.VerifyAuthor(post);
  REQUIRE(verify);
  CHECK(verify->cache_key == "handle:alice.bsky.social");
  post.mutable_author()->set_handle("handle.invalid");
  CHECK_FALSE(b.VerifyAuthor(post));

  MappedPost mapped;
  mapped.video_blobs["https://video.bsky.app/watch/x/playlist.m3u8"] = {"did:plc:abc",
                                                                        "bafkreixyz"};
  mapped.video_blobs["https://video.bsky.app/watch/y/playlist.m3u8"] = {"did:key:z6Mk",
                                                                        "bafkreiabc"};
  auto sources = b.MediaSources(mapped);
  REQUIRE(sources.size() == 2);
  CHECK(sources[0].lookup.url == "https://plc.directory/did:plc:abc");
  CHECK(sources[0].url_for("https://pds.example") ==
        "https://pds.example/xrpc/com.atproto.sync.getBlob?did=did%3Aplc%3Aabc&cid=bafkreixyz");
  CHECK(sources[1].lookup.refused == "unsupported DID method");  // did:key has no document
}

}  // namespace
}  // namespace stillpost::fetcher
