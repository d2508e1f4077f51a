#include "fetcher/bluesky/bluesky.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "tests/support/fixtures.h"
#include "tests/support/posts.h"

namespace stillpost::fetcher::bluesky {
namespace {

using proto::Entity;
using proto::Media;
using testing::Fixture;
using testing::Slice;

// A getPostThread answer around a postView.
std::string Thread(const std::string& post_view) {
  return R"({"thread":{"$type":"app.bsky.feed.defs#threadViewPost","post":)" + post_view + "}}";
}

// The samples come from Swift test sources that wrote a newline in the post text as "\\n", so the
// JSON holds a backslash and an n where the post had one newline byte — and the facets' byte
// offsets count the newline. Undo that one escape so the offsets line up (SOURCES.md).
std::string BlueskyFixture(const std::string& name) {
  std::string pv = Fixture("upstream/bluesky/" + name);
  for (size_t at = pv.find("\\\\n"); at != std::string::npos; at = pv.find("\\\\n", at)) {
    pv.replace(at, 3, "\\n");
  }
  return pv;
}

MappedPost MapFixture(const std::string& name) {
  auto m = testing::MapBlueskyPostView(BlueskyFixture(name));
  REQUIRE(m);
  return std::move(*m);
}

// A postView with `record` fields and an optional embed view, for built cases.
std::string PostView(const std::string& record, const std::string& embed = "") {
  std::string pv = R"({"uri":"at://did:plc:abc/app.bsky.feed.post/3kaaa","cid":"bafyreiaaa",
    "author":{"did":"did:plc:abc","handle":"alice.bsky.social","displayName":"Alice"},
    "record":)" + record +
                   R"(,"indexedAt":"2025-01-01T00:00:00.000Z","likeCount":3)";
  if (!embed.empty()) pv += R"(,"embed":)" + embed;
  return pv + "}";
}

MappedPost MapBuilt(const std::string& pv) {
  auto m = MapPostThread(Thread(pv), "did:plc:abc", "3kaaa");
  REQUIRE(m);
  return std::move(*m);
}

TEST_CASE("bluesky: text only") {
  const auto p = MapFixture("postview_text_only.json").post;
  CHECK(p.key() == "bsky/did:plc:yf6b2cgjhxo5wevddebvklna/3lhmgh4f5es2q");
  CHECK(p.platform() == proto::PLATFORM_BLUESKY);
  CHECK(p.id() == "3lhmgh4f5es2q");
  CHECK(p.url() == "https://bsky.app/profile/did:plc:yf6b2cgjhxo5wevddebvklna/post/3lhmgh4f5es2q");
  CHECK(p.text() == "There's a Peter Kay impersonator at a hotel near me next month");
  CHECK(p.author().handle() == "xxiainxx.bsky.social");
  CHECK(p.author().id() == "did:plc:yf6b2cgjhxo5wevddebvklna");
  CHECK_FALSE(p.upstream_version().empty());  // the record's CID
  CHECK(p.entities_size() == 0);
  CHECK(p.media_size() == 0);
}

TEST_CASE("bluesky: images with alt text and aspect ratio") {
  const auto m = MapFixture("postview_images.json");
  const auto& p = m.post;
  CHECK(p.text() == "It was time to go M1 to M4");
  REQUIRE(p.media_size() == 1);
  CHECK(p.media(0).kind() == Media::KIND_PHOTO);
  CHECK(p.media(0).original_url().find(
            "/img/feed_fullsize/plain/did:plc:z7ja7uhcr5is6uqmnsjyn3k7/") != std::string::npos);
  CHECK(p.media(0).width() == 1999);
  CHECK(p.media(0).height() == 1500);
  // The thumbnail is the fallback when the full size fails.
  CHECK(m.fallbacks.at(p.media(0).original_url()).find("/feed_thumbnail/") != std::string::npos);
  CHECK(p.author().avatar_url().find("https://cdn.bsky.app/img/avatar/plain/") == 0);
}

TEST_CASE("bluesky: an external link card over non-ASCII text") {
  const auto p = MapFixture("postview_external_link_card.json").post;
  CHECK(p.text().find("A great user experience isn\u2019t just about") == 0);
  CHECK(p.card().url() ==
        "https://www.createwithswift.com/"
        "designing-for-application-states-creating-seamless-user-experiences/");
  CHECK(p.card().title() == "Designing for Application States: Creating Seamless User Experiences");
  CHECK(p.card().domain() == "createwithswift.com");
  CHECK(p.card().image_url().find("/feed_thumbnail/") != std::string::npos);
}

TEST_CASE("bluesky: a quote post, and a quote of a post with a link card") {
  const auto q = MapFixture("postview_quote_record.json").post;
  CHECK(q.text().find("Launched Live is back this year at Deep Dish Swift in Chicago!") == 0);
  CHECK(q.quoted_key() == "bsky/did:plc:6y3jllixhqf3vjupdvzdtxsf/3lhmdqmtrj22m");
  REQUIRE(q.has_quoted());
  CHECK(q.quoted().author().handle() == "deepdishswift.com");
  CHECK(q.quoted().key() == q.quoted_key());
  CHECK_FALSE(q.quoted().text().empty());

  const auto e = MapFixture("postview_quote_of_external_link.json").post;
  CHECK(e.text() == "F this \U0001F620");
  REQUIRE(e.has_quoted());
  CHECK(e.quoted().author().handle() == "theverge.com");
  CHECK_FALSE(e.quoted().card().url().empty());  // the quoted post's own card
}

TEST_CASE("bluesky: recordWithMedia - own images and a quote with its images") {
  const auto p = MapFixture("postview_record_with_media.json").post;
  CHECK(p.text().empty());
  REQUIRE(p.media_size() == 1);
  CHECK(p.media(0).alt_text().find("Bluesky Alt Text Rating") == 0);
  CHECK(p.media(0).width() == 890);
  CHECK(p.quoted_key() == "bsky/did:plc:ab5inzxnpw4j2zvzlxupr5ut/3lhnuqw5cms2h");
  REQUIRE(p.has_quoted());
  CHECK(p.quoted().author().display_name() == "Bohdan Pavuk");
  CHECK(p.quoted().media_size() == 2);
  REQUIRE(p.quoted().entities_size() == 1);
  CHECK(Slice(p.quoted().text(), p.quoted().entities(0).start(), p.quoted().entities(0).end()) ==
        "dame.is/ratingalttext");
  CHECK(p.quoted().entities(0).target() == "https://dame.is/ratingalttext");
  // The quote's own quote is only named, not nested further.
  CHECK_FALSE(p.quoted().has_quoted());
  CHECK(p.quoted().quoted_key() == "bsky/did:plc:g2nrqauct55qb6tcpepoo3dr/3lhnqkp3a5c2h");
}

TEST_CASE("bluesky: a video, and tag facets after non-ASCII text converted to code points") {
  const auto m = MapFixture("postview_video.json");
  const auto& p = m.post;
  REQUIRE(p.media_size() == 1);
  CHECK(p.media(0).kind() == Media::KIND_VIDEO);
  CHECK(p.media(0).poster_url().find("/thumbnail.jpg") != std::string::npos);
  CHECK(p.media(0).width() == 1920);
  const std::string playlist = p.media(0).original_url();
  CHECK(playlist.find("/playlist.m3u8") != std::string::npos);
  REQUIRE(m.video_blobs.count(playlist) == 1);
  CHECK(m.video_blobs.at(playlist).first == "did:plc:l7mosai5i2u562b5qbosw6c7");
  CHECK(m.video_blobs.at(playlist).second ==
        "bafkreic3uqlah5pnqzq4tx2r5cg6kyj2uziq4jn4uatuwdhvl33sx2qkgm");
  REQUIRE(p.entities_size() == 5);
  CHECK(p.entities(0).start() == 127);  // byteStart 134 (PLATFORMS.md §3.2)
  const std::vector<std::string> tags{"#swiftUI", "#iOS", "#beginner", "#code", "#keeplearning"};
  for (int i = 0; i < 5; ++i) {
    CHECK(p.entities(i).kind() == Entity::KIND_HASHTAG);
    const auto& tag = tags[static_cast<size_t>(i)];
    CHECK(Slice(p.text(), p.entities(i).start(), p.entities(i).end()) == tag);
    CHECK(p.entities(i).target_id() == tag.substr(1));
  }
  CHECK(p.entities(0).target() == "https://bsky.app/hashtag/swiftUI");
}

TEST_CASE("bluesky: link and mention facets over non-ASCII text, malformed facets skipped") {
  // "Café ☕ see " is 13 bytes + ... : build the offsets from the bytes themselves.
  const std::string text = "Caf\u00e9 \u2615 see \u00fcber.example/\u00e4 and @b\u00f6b.example x";
  const auto at = [&](const std::string& s) { return text.find(s); };
  const size_t link_start = at("\u00fcber"), link_end = at(" and");
  const size_t mention_start = at("@b"), mention_end = at(" x");
  const std::string facets =
      R"([{"index":{"byteStart":)" + std::to_string(link_start) + R"(,"byteEnd":)" +
      std::to_string(link_end) +
      R"(},"features":[{"$type":"app.bsky.richtext.facet#link","uri":"https://xn--ber-goa.example/%C3%A4"}]},
         {"index":{"byteStart":)" +
      std::to_string(mention_start) + R"(,"byteEnd":)" + std::to_string(mention_end) +
      R"(},"features":[{"$type":"app.bsky.richtext.facet#mention","did":"did:plc:bob"}]},
         {"index":{"byteStart":4,"byteEnd":6},"features":[{"$type":"app.bsky.richtext.facet#tag","tag":"mid"}]},
         {"index":{"byteStart":0,"byteEnd":9999},"features":[{"$type":"app.bsky.richtext.facet#tag","tag":"past"}]},
         {"index":{"byteStart":-1,"byteEnd":2},"features":[{"$type":"app.bsky.richtext.facet#tag","tag":"neg"}]},
         {"index":{"byteStart":3,"byteEnd":1},"features":[{"$type":"app.bsky.richtext.facet#tag","tag":"back"}]},
         {"index":{"byteStart":"0","byteEnd":2},"features":[{"$type":"app.bsky.richtext.facet#tag","tag":"str"}]},
         {"index":{"byteStart":0,"byteEnd":2},"features":"nope"},
         {"features":[{"$type":"app.bsky.richtext.facet#tag","tag":"noindex"}]},
         {"index":{"byteStart":0,"byteEnd":3},"features":[{"$type":"app.bsky.richtext.facet#unknown"}]},
         7])";
  boost::json::object record;
  record["$type"] = "app.bsky.feed.post";
  record["text"] = text;
  record["createdAt"] = "2025-01-01T00:00:00Z";
  record["facets"] = boost::json::parse(facets);
  const auto p = MapBuilt(PostView(boost::json::serialize(record))).post;
  REQUIRE(p.entities_size() == 2);
  CHECK(p.entities(0).kind() == Entity::KIND_LINK);
  CHECK(Slice(p.text(), p.entities(0).start(), p.entities(0).end()) == "\u00fcber.example/\u00e4");
  CHECK(p.entities(0).start() == 11);
  CHECK(p.entities(0).target() == "https://xn--ber-goa.example/%C3%A4");
  CHECK(p.entities(1).kind() == Entity::KIND_MENTION);
  CHECK(Slice(p.text(), p.entities(1).start(), p.entities(1).end()) == "@b\u00f6b.example");
  CHECK(p.entities(1).target_id() == "did:plc:bob");
  CHECK(p.entities(1).target() == "https://bsky.app/profile/did:plc:bob");
}

TEST_CASE("bluesky: gone posts and unavailable quotes") {
  auto nf = MapPostThread(
      R"({"thread":{"$type":"app.bsky.feed.defs#notFoundPost","uri":"at://did:plc:abc/app.bsky.feed.post/3kaaa","notFound":true}})",
      "did:plc:abc", "3kaaa");
  REQUIRE(nf);
  CHECK(nf->gone);
  CHECK(nf->tombstone.kind() == proto::Tombstone::KIND_NOT_FOUND);
  auto blocked = MapPostThread(
      R"({"thread":{"$type":"app.bsky.feed.defs#blockedPost","uri":"at://did:plc:abc/app.bsky.feed.post/3kaaa","blocked":true}})",
      "did:plc:abc", "3kaaa");
  REQUIRE(blocked);
  CHECK(blocked->gone);
  auto xrpc = TombstoneFor(400, R"({"error":"NotFound","message":"Post not found: at://x"})");
  REQUIRE(xrpc.has_value());
  CHECK(xrpc->kind() == proto::Tombstone::KIND_NOT_FOUND);
  CHECK_FALSE(TombstoneFor(400, R"({"error":"InvalidRequest"})"));
  CHECK_FALSE(TombstoneFor(502, ""));

  const std::string record = R"({"text":"look","createdAt":"2025-01-01T00:00:00Z"})";
  const auto deleted = MapBuilt(PostView(record, R"({"$type":"app.bsky.embed.record#view",
      "record":{"$type":"app.bsky.embed.record#viewNotFound","uri":"at://did:plc:zzz/app.bsky.feed.post/3kzzz","notFound":true}})"))
                           .post;
  CHECK(deleted.quoted_key() == "bsky/did:plc:zzz/3kzzz");
  CHECK_FALSE(deleted.has_quoted());
  CHECK(deleted.quoted_unavailable() == "deleted or not found");
  const auto detached = MapBuilt(PostView(record, R"({"$type":"app.bsky.embed.record#view",
      "record":{"$type":"app.bsky.embed.record#viewDetached","uri":"at://did:plc:zzz/app.bsky.feed.post/3kzzz","detached":true}})"))
                            .post;
  CHECK(detached.quoted_unavailable() == "removed from this post by its author");
  const auto blocked_quote = MapBuilt(PostView(record, R"({"$type":"app.bsky.embed.record#view",
      "record":{"$type":"app.bsky.embed.record#viewBlocked","uri":"at://did:plc:zzz/app.bsky.feed.post/3kzzz","blocked":true}})"))
                                 .post;
  CHECK(blocked_quote.quoted_unavailable() == "blocked");
}

TEST_CASE("bluesky: a thread answer for another post, wrong types and malformed JSON fail") {
  const std::string pv = PostView(R"({"text":"x"})");
  CHECK_FALSE(MapPostThread(Thread(pv), "did:plc:abc", "3kbbb"));
  CHECK_FALSE(MapPostThread("{", "did:plc:abc", "3kaaa"));
  CHECK_FALSE(MapPostThread(R"({"thread":5})", "did:plc:abc", "3kaaa"));
  auto wrong = MapPostThread(Thread(PostView(R"({"text":7})")), "did:plc:abc", "3kaaa");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message() ==
        "upstream JSON: response.thread.post.record.text is not a string");
}

TEST_CASE("bluesky: handle resolution, DID documents, getBlob and CID checks") {
  CHECK(ResolveHandleUrl("alice.bsky.social") ==
        "https://public.api.bsky.app/xrpc/"
        "com.atproto.identity.resolveHandle?handle=alice.bsky.social");
  CHECK(*ParseResolveHandle(R"({"did":"did:plc:abc"})") == "did:plc:abc");
  CHECK_FALSE(ParseResolveHandle(R"({"error":"HandleNotFound"})"));
  CHECK_FALSE(ParseResolveHandle(R"({"did":"not a did"})"));
  CHECK(PostThreadUrl("did:plc:abc", "3kaaa") ==
        "https://public.api.bsky.app/xrpc/"
        "app.bsky.feed.getPostThread?uri=at%3A%2F%2Fdid%3Aplc%3Aabc%2Fapp.bsky.feed.post%2F3kaaa&"
        "depth=0&parentHeight=1");
  CHECK(DidDocumentUrl("did:plc:abc") == "https://plc.directory/did:plc:abc");
  CHECK(DidDocumentUrl("did:web:example.com") == "https://example.com/.well-known/did.json");
  CHECK(DidDocumentUrl("did:web:evil.com:8080") == "");
  CHECK(DidDocumentUrl("did:key:z6M") == "");
  CHECK(*PdsFromDidDocument(R"({"id":"did:plc:abc","service":[{"id":"#atproto_pds",
      "type":"AtprotoPersonalDataServer","serviceEndpoint":"https://morel.us-east.host.bsky.network/"}]})") ==
        "https://morel.us-east.host.bsky.network");
  CHECK_FALSE(PdsFromDidDocument(
      R"({"service":[{"id":"#atproto_pds","serviceEndpoint":"javascript:x"}]})"));
  CHECK_FALSE(PdsFromDidDocument(R"({"service":[]})"));
  CHECK(GetBlobUrl("https://pds.example", "did:plc:abc", "bafk") ==
        "https://pds.example/xrpc/com.atproto.sync.getBlob?did=did%3Aplc%3Aabc&cid=bafk");
  // CIDv1 raw sha2-256 of "hello" (computed with Python's hashlib + base64.b32encode).
  const std::string hello_cid = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq";
  CHECK(BlobMatchesCid("hello", hello_cid) == std::optional<bool>(true));
  CHECK(BlobMatchesCid("hellO", hello_cid) == std::optional<bool>(false));
  CHECK_FALSE(BlobMatchesCid("hello", "Qmabc").has_value());
  CHECK_FALSE(BlobMatchesCid("hello", "bafyreiaaa").has_value());
}

}  // namespace
}  // namespace stillpost::fetcher::bluesky
